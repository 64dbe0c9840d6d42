// See CPNGGlue.h for why this file exists.
#include "CPNGGlue.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reader {
    const unsigned char *data;
    size_t size;
    size_t offset;
    curate_png_result *result;
} reader;

static void on_error(png_structp png, png_const_charp message) {
    reader *r = png_get_error_ptr(png);
    snprintf(r->result->message, sizeof r->result->message, "%s", message);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) {
    (void)message;
    reader *r = png_get_error_ptr(png);
    r->result->warnings += 1;
}

static void on_read(png_structp png, png_bytep out, png_size_t length) {
    reader *r = png_get_io_ptr(png);
    if (length > r->size - r->offset) png_error(png, "read beyond end of data");
    memcpy(out, r->data + r->offset, length);
    r->offset += length;
}

int curate_png_decode(const unsigned char *data, size_t size, long long max_pixels,
                      unsigned char **pixels, curate_png_result *result) {
    memset(result, 0, sizeof *result);
    *pixels = NULL;
    reader r = {data, size, 0, result};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, on_error, on_warning);
    if (!png) return CURATE_PNG_OUT_OF_MEMORY;
    png_infop info = png_create_info_struct(png);
    // Volatile: they change after setjmp and are read after a longjmp.
    unsigned char *volatile buffer = NULL;
    png_bytep *volatile rows = NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return CURATE_PNG_OUT_OF_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        free(buffer);
        png_destroy_read_struct(&png, &info, NULL);
        return CURATE_PNG_ERROR;
    }
    png_set_read_fn(png, &r, on_read);
    png_read_info(png, info);
    png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    if ((long long)width * (long long)height > max_pixels) {
        png_destroy_read_struct(&png, &info, NULL);
        result->width = (int)width;
        result->height = (int)height;
        return CURATE_PNG_TOO_MANY_PIXELS;
    }
    int color = png_get_color_type(png, info);
    int alpha = (color & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS);
    png_set_strip_16(png);
    png_set_packing(png);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (!(color & PNG_COLOR_MASK_COLOR)) png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int channels = png_get_channels(png, info);
    size_t stride = png_get_rowbytes(png, info);
    if (channels != (alpha ? 4 : 3) || stride != (size_t)width * (size_t)channels) {
        snprintf(result->message, sizeof result->message, "unexpected layout after expansion (%d channels)", channels);
        png_destroy_read_struct(&png, &info, NULL);
        return CURATE_PNG_ERROR;
    }
    buffer = malloc(stride * height);
    rows = malloc(sizeof(png_bytep) * height);
    if (!buffer || !rows) {
        free(rows);
        free(buffer);
        png_destroy_read_struct(&png, &info, NULL);
        return CURATE_PNG_OUT_OF_MEMORY;
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = buffer + y * stride;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    result->width = (int)width;
    result->height = (int)height;
    result->channels = channels;
    *pixels = buffer;
    return CURATE_PNG_OK;
}
