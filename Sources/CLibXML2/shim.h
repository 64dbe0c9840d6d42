// libxml2's HTML parser (Debian: libxml2-dev). Nothing here needs a wrapper: the headers import as they are.
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/xmlversion.h>
