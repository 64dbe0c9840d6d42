// libpng 1.6 (Debian: libpng-dev). curate uses only the simplified, longjmp-free png_image_* API.
#include <png.h>
