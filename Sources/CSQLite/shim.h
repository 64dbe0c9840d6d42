// SQLite 3 with FTS5 (Debian: libsqlite3-dev).
// SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift cannot import.
#include <sqlite3.h>
static inline sqlite3_destructor_type curate_sqlite_transient(void) { return SQLITE_TRANSIENT; }
