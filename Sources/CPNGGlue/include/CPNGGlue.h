// The one place where libpng's error handling is adapted for Swift.
//
// libpng's simplified png_image API would need no glue, but it converts samples using the
// file's gAMA chunk, while Pillow, OpenCV and so every training pipeline keep the stored
// values. So curate uses the full API, which reports fatal errors by longjmp: the decode runs
// inside one C function that sets the jump point first. Warnings are counted, never printed.
#ifndef CURATE_PNG_GLUE_H
#define CURATE_PNG_GLUE_H

#include <stddef.h>

typedef struct curate_png_result {
    int width;
    int height;
    int channels;          // 3 (RGB) or 4 (RGBA, straight alpha)
    int warnings;          // libpng warnings (benign damage in ancillary chunks)
    char message[200];     // libpng's error text when the result is an error
} curate_png_result;

enum {
    CURATE_PNG_OK = 0,
    CURATE_PNG_ERROR = -1,           // libpng rejected the data (message filled)
    CURATE_PNG_TOO_MANY_PIXELS = -2, // width × height above max_pixels; nothing was allocated
    CURATE_PNG_OUT_OF_MEMORY = -3
};

/// Decodes a PNG held in memory into 8-bit RGB or RGBA rows (*pixels, malloc'ed; free with free()).
/// Palette, grey, 1-16 bit depths, tRNS and interlacing are expanded; 16-bit samples keep their
/// high byte (as Pillow does); no gamma is applied.
int curate_png_decode(const unsigned char *data, size_t size, long long max_pixels,
                      unsigned char **pixels, curate_png_result *result);

#endif
