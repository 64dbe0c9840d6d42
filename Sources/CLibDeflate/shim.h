// libdeflate (Debian: libdeflate-dev): whole-buffer DEFLATE/gzip, for WARC members held whole in memory.
#include <libdeflate.h>
