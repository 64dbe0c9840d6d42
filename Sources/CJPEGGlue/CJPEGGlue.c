// See CJPEGGlue.h for why this file exists. Every function here either returns normally or,
// when libjpeg calls error_exit, returns -1 through longjmp to the jump point it set first.
#include "CJPEGGlue.h"

#include <jerror.h>

#include <stdlib.h>
#include <string.h>

// error_exit: keep libjpeg's message and jump back to the wrapper that made the call.
static void on_error_exit(j_common_ptr cinfo) {
    curate_jpeg_error *err = (curate_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

// emit_message: level -1 is a warning (corrupt data libjpeg recovered from); other levels are
// trace messages. Nothing is printed; warnings are counted and the first one is kept.
static void on_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level >= 0) return;
    curate_jpeg_error *err = (curate_jpeg_error *)cinfo->err;
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) err->premature_end = 1;
    if (cinfo->err->msg_code == JWRN_HIT_MARKER) err->hit_marker = 1;
    if (err->warnings == 0) (*cinfo->err->format_message)(cinfo, err->message);
    err->warnings += 1;
    cinfo->err->num_warnings += 1;
}

// output_message: libjpeg's default writes to stderr; curate keeps the text instead.
static void on_output_message(j_common_ptr cinfo) {
    curate_jpeg_error *err = (curate_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
}

// A progressive JPEG can declare thousands of tiny scans, each a full pass over the image
// (a known denial-of-service input); stop after max_scans as libjpeg-turbo's djpeg -maxscans does.
static void on_progress(j_common_ptr cinfo) {
    if (!cinfo->is_decompressor) return;
    j_decompress_ptr dinfo = (j_decompress_ptr)cinfo;
    curate_jpeg_error *err = (curate_jpeg_error *)cinfo->err;
    if (err->max_scans > 0 && dinfo->input_scan_number > err->max_scans) {
        snprintf(err->message, sizeof err->message, "more than %d progressive scans", err->max_scans);
        longjmp(err->jump, 1);
    }
}

static void install_error_manager(curate_jpeg_error *err) {
    jpeg_std_error(&err->pub);
    err->pub.error_exit = on_error_exit;
    err->pub.emit_message = on_emit_message;
    err->pub.output_message = on_output_message;
    err->message[0] = 0;
    err->warnings = 0;
    err->premature_end = 0;
    err->hit_marker = 0;
}

curate_jpeg_decoder *curate_jpeg_decoder_create(int max_scans) {
    curate_jpeg_decoder *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    install_error_manager(&d->err);
    d->err.max_scans = max_scans;
    d->cinfo.err = &d->err.pub;
    if (setjmp(d->err.jump)) { free(d); return NULL; }
    jpeg_create_decompress(&d->cinfo);
    d->progress.progress_monitor = on_progress;
    d->cinfo.progress = &d->progress;
    return d;
}

void curate_jpeg_decoder_destroy(curate_jpeg_decoder *d) {
    if (!d) return;
    jpeg_destroy_decompress(&d->cinfo);
    free(d);
}

int curate_jpeg_read_header(curate_jpeg_decoder *d, const unsigned char *data, unsigned long size) {
    d->err.message[0] = 0;
    d->err.warnings = 0;
    d->err.premature_end = 0;
    d->err.hit_marker = 0;
    if (setjmp(d->err.jump)) { jpeg_abort_decompress(&d->cinfo); return -1; }
    jpeg_mem_src(&d->cinfo, data, size);
    jpeg_save_markers(&d->cinfo, JPEG_APP0 + 1, 0xFFFF);   // APP1 holds EXIF (orientation)
    jpeg_save_markers(&d->cinfo, JPEG_APP0 + 14, 0xFFFF);  // APP14 is Adobe's (inverted CMYK)
    jpeg_read_header(&d->cinfo, TRUE);
    return 0;
}

int curate_jpeg_calc_output_dimensions(curate_jpeg_decoder *d) {
    if (setjmp(d->err.jump)) { jpeg_abort_decompress(&d->cinfo); return -1; }
    jpeg_calc_output_dimensions(&d->cinfo);
    return 0;
}

int curate_jpeg_start(curate_jpeg_decoder *d) {
    if (setjmp(d->err.jump)) { jpeg_abort_decompress(&d->cinfo); return -1; }
    jpeg_start_decompress(&d->cinfo);
    return 0;
}

int curate_jpeg_read_rows(curate_jpeg_decoder *d, unsigned char **rows, unsigned int count, unsigned int *read) {
    *read = 0;
    if (setjmp(d->err.jump)) { jpeg_abort_decompress(&d->cinfo); return -1; }
    *read = jpeg_read_scanlines(&d->cinfo, rows, count);
    return 0;
}

int curate_jpeg_crop_columns(curate_jpeg_decoder *d, unsigned int *xoffset, unsigned int *width) {
    if (setjmp(d->err.jump)) { jpeg_abort_decompress(&d->cinfo); return -1; }
    JDIMENSION x = *xoffset, w = *width;
    jpeg_crop_scanline(&d->cinfo, &x, &w);
    *xoffset = x;
    *width = w;
    return 0;
}

int curate_jpeg_skip_rows(curate_jpeg_decoder *d, unsigned int count, unsigned int *skipped) {
    *skipped = 0;
    if (setjmp(d->err.jump)) { jpeg_abort_decompress(&d->cinfo); return -1; }
    *skipped = jpeg_skip_scanlines(&d->cinfo, count);
    return 0;
}

int curate_jpeg_finish(curate_jpeg_decoder *d) {
    if (setjmp(d->err.jump)) { jpeg_abort_decompress(&d->cinfo); return -1; }
    if (d->cinfo.output_scanline >= d->cinfo.output_height) jpeg_finish_decompress(&d->cinfo);
    jpeg_abort_decompress(&d->cinfo);
    return 0;
}

int curate_jpeg_encode(const unsigned char *pixels, int width, int height, int stride, int components,
                       int quality, int chroma_420, unsigned char **out, unsigned long *out_size,
                       char *message, size_t message_capacity) {
    struct jpeg_compress_struct cinfo;
    curate_jpeg_error err;
    install_error_manager(&err);
    err.max_scans = 0;
    cinfo.err = &err.pub;
    // The output buffer is ours, sized for the worst case, so that libjpeg's memory destination
    // never reallocates it (its reallocation frees buffers it did not allocate on error paths).
    unsigned long capacity = (unsigned long)(width + 16) * (unsigned long)(height + 16) * 3UL + 65536UL;
    unsigned char *buffer = malloc(capacity);
    if (!buffer) { snprintf(message, message_capacity, "out of memory"); return -1; }
    *out = buffer;
    *out_size = capacity;
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        *out = NULL;
        *out_size = 0;
        snprintf(message, message_capacity, "%s", err.message);
        return -1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, out, out_size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = components;
    cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    if (components == 3 && !chroma_420) {
        cinfo.comp_info[0].h_samp_factor = 1;
        cinfo.comp_info[0].v_samp_factor = 1;
    }
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * (size_t)stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    if (*out != buffer) free(buffer);  // cannot happen with the worst-case size; kept for safety
    return 0;
}
