// libwebp and its demux library (Debian: libwebp-dev); the demux library decodes animations.
#include <webp/decode.h>
#include <webp/encode.h>
#include <webp/demux.h>
