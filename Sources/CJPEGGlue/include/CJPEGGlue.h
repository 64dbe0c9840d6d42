// The one place where libjpeg's error handling is adapted for Swift.
//
// libjpeg reports a fatal error by calling error_exit, which by default prints to stderr and
// calls exit(). Swift cannot catch a longjmp, so every libjpeg call that can fail is made from a
// small C function here that sets a jump point first and returns -1 when libjpeg jumps back.
// Warnings and messages are recorded in the error struct instead of being printed.
// Swift sets the decompression parameters (scale, colour space) directly on `cinfo`.
#ifndef CURATE_JPEG_GLUE_H
#define CURATE_JPEG_GLUE_H

#include <setjmp.h>
#include <stdio.h>
#include <stddef.h>
#include <jpeglib.h>

typedef struct curate_jpeg_error {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];   // the last error, or the first warning
    int warnings;                    // every warning libjpeg emitted
    int premature_end;               // the data ended before the image did (JWRN_JPEG_EOF)
    int hit_marker;                  // an entropy-coded segment stopped early (JWRN_HIT_MARKER)
    int max_scans;                   // progressive JPEGs with more scans are refused (0: no limit)
} curate_jpeg_error;

typedef struct curate_jpeg_decoder {
    struct jpeg_decompress_struct cinfo;
    curate_jpeg_error err;
    struct jpeg_progress_mgr progress;
} curate_jpeg_decoder;

/// The decompression parameters, for Swift to read and set (a stable pointer into the decoder).
static inline struct jpeg_decompress_struct *curate_jpeg_cinfo(curate_jpeg_decoder *decoder) { return &decoder->cinfo; }

/// Allocates a decoder; NULL only when memory is exhausted.
curate_jpeg_decoder *curate_jpeg_decoder_create(int max_scans);
void curate_jpeg_decoder_destroy(curate_jpeg_decoder *decoder);

/// jpeg_mem_src + jpeg_save_markers(APP1) + jpeg_read_header. 0 on success, -1 on error.
int curate_jpeg_read_header(curate_jpeg_decoder *decoder, const unsigned char *data, unsigned long size);
/// jpeg_calc_output_dimensions with the scale Swift set on cinfo. 0 or -1.
int curate_jpeg_calc_output_dimensions(curate_jpeg_decoder *decoder);
/// jpeg_start_decompress. 0 or -1.
int curate_jpeg_start(curate_jpeg_decoder *decoder);
/// jpeg_read_scanlines into `count` rows; `read` receives how many arrived. 0 or -1.
int curate_jpeg_read_rows(curate_jpeg_decoder *decoder, unsigned char **rows, unsigned int count, unsigned int *read);
/// jpeg_crop_scanline: decode only columns [*xoffset, *xoffset + *width); libjpeg widens the
/// window to iMCU boundaries and writes back the one it will produce. 0 or -1.
int curate_jpeg_crop_columns(curate_jpeg_decoder *decoder, unsigned int *xoffset, unsigned int *width);
/// jpeg_skip_scanlines: entropy-decodes `count` rows without producing pixels for them. 0 or -1.
int curate_jpeg_skip_rows(curate_jpeg_decoder *decoder, unsigned int count, unsigned int *skipped);
/// jpeg_finish_decompress, then jpeg_abort so the decoder can be reused. 0 or -1.
int curate_jpeg_finish(curate_jpeg_decoder *decoder);

/// Compresses 8-bit RGB (components 3) or gray (1) rows into a malloc'ed JPEG (free with free()).
/// chroma_420 chooses 4:2:0 subsampling (libjpeg's default) over 4:4:4. 0 or -1 (message filled).
int curate_jpeg_encode(const unsigned char *pixels, int width, int height, int stride, int components,
                       int quality, int chroma_420, unsigned char **out, unsigned long *out_size,
                       char *message, size_t message_capacity);

#endif
