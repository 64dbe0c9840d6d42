// zlib (Debian: zlib1g-dev).
// inflateInit2 is a macro over inflateInit2_, so Swift cannot call it; this inline function can.
#include <zlib.h>
static inline int curate_inflate_init2(z_streamp stream, int window_bits) {
    return inflateInit2(stream, window_bits);
}
