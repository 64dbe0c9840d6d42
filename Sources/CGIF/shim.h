// giflib 5 (Debian: libgif-dev). Errors come back as codes; no wrapper is needed.
#include <gif_lib.h>
