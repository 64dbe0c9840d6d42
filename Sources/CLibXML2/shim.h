// libxml2's HTML parser (Debian: libxml2-dev).
#include <libxml/xmlversion.h>
// Debian builds libxml2 with ICU, so libxml/encoding.h includes ICU's own headers, whose
// UErrorCode clashes with the copy of ICU inside Foundation (_FoundationICU) in any Swift module
// that imports both. curate never uses libxml2's ICU converters: it only holds pointers to
// xmlCharEncodingHandler, whose trailing ICU fields this hides. So the shim hides them.
#undef LIBXML_ICU_ENABLED
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
