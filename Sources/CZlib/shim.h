// zlib (Debian: zlib1g-dev).
// inflateInit2 is a macro over inflateInit2_, so Swift cannot call it; this inline function can.
#include <zlib.h>
static inline int curate_inflate_init2(z_streamp stream, int window_bits) {
    return inflateInit2(stream, window_bits);
}
// deflateInit2 is a macro too; window bits 31 = a gzip wrapper (mtime 0: output is reproducible).
static inline int curate_deflate_init2(z_streamp stream, int level, int window_bits) {
    return deflateInit2(stream, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
}
