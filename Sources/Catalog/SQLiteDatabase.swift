import CSQLite
import CurateCore

/// Errors from SQLite, with the database path and SQLite's own message.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var code: Int32
    public var message: String
    public var description: String {
        if code & 0xFF == SQLITE_FULL {
            return "cannot write \(path): the disk is full (SQLite: \(message)); free space on it and run again (the catalog is intact and the run resumes)"
        }
        if code & 0xFF == SQLITE_NOTADB || code & 0xFF == SQLITE_CORRUPT {
            return "\(path) is not a readable SQLite catalog (SQLite: \(message)); pass --work with a folder curate crawl-dump wrote, or move the file away and run curate crawl-dump again"
        }
        return "SQLite error \(code) on \(path): \(message); check that the work directory is writable and not used by another curate process"
    }
    /// Whether SQLite ran out of space (SQLITE_FULL).
    public var diskFull: Bool { code & 0xFF == SQLITE_FULL }
}

/// A connection to one SQLite database file: the only caller of the SQLite C API.
///
/// Deliberately small: execute a script, run a statement with bound values, read rows as
/// strings, integers and doubles. The catalog's schema and queries are built on it.
public final class SQLiteDatabase {
    public let path: String
    private var handle: OpaquePointer?

    /// Opens (creating if needed) the database at `path` with sqlite3_open_v2.
    public init(path: String) throws {
        self.path = path
        let status = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard status == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(handle)
            throw SQLiteError(path: path, code: status, message: message)
        }
    }

    /// sqlite3_close_v2: a connection whose prepared statements outlive it (statements held as
    /// properties beside it are released in any order) closes when the last one is finalized;
    /// sqlite3_close would refuse (SQLITE_BUSY) and leak it.
    deinit { sqlite3_close_v2(handle) }

    /// Runs one or more statements that return no rows (sqlite3_exec). A `COMMIT` is a `Fault`
    /// point before and after it runs.
    public func execute(_ sql: String) throws {
        let commit = sql.hasPrefix("COMMIT")
        if commit { Fault.point() }
        defer { if commit { Fault.point() } }
        var error: UnsafeMutablePointer<CChar>? = nil
        let status = sqlite3_exec(handle, sql, nil, nil, &error)
        if status != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(error)
            throw SQLiteError(path: path, code: status, message: message)
        }
    }

    /// A bound value.
    public enum Value: Sendable, Equatable {
        case integer(Int64), real(Double), text(String), null
    }

    /// Runs `sql` with `arguments` bound to its `?` parameters and returns every row.
    @discardableResult
    public func query(_ sql: String, _ arguments: [Value] = []) throws -> [[Value]] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else { throw lastError() }
        defer { sqlite3_finalize(statement) }
        Self.bind(arguments, to: statement)
        var rows: [[Value]] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return rows }
            guard status == SQLITE_ROW else { throw lastError() }
            rows.append((0..<sqlite3_column_count(statement)).map { column in
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: .integer(sqlite3_column_int64(statement, column))
                case SQLITE_FLOAT: .real(sqlite3_column_double(statement, column))
                case SQLITE_NULL: .null
                default: .text(String(cString: sqlite3_column_text(statement, column)))
                }
            })
        }
    }

    /// Binds `values` to the `?` parameters of `statement`, in order (sqlite3_bind_*).
    static func bind(_ values: [Value], to statement: OpaquePointer?) {
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            switch value {
            case .integer(let v): sqlite3_bind_int64(statement, index, v)
            case .real(let v): sqlite3_bind_double(statement, index, v)
            case .text(let v): sqlite3_bind_text(statement, index, v, -1, curate_sqlite_transient())
            case .null: sqlite3_bind_null(statement, index)
            }
        }
    }

    /// One result row while `forEach` steps; valid only inside its call.
    public struct Row {
        let statement: OpaquePointer
        public func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
        public func real(_ column: Int32) -> Double { sqlite3_column_double(statement, column) }
        public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }
        public func text(_ column: Int32) -> String? {
            guard let bytes = sqlite3_column_text(statement, column) else { return nil }
            return String(cString: bytes)
        }
        /// A BLOB's bytes (empty for NULL).
        public func blob(_ column: Int32) -> [UInt8] {
            let count = Int(sqlite3_column_bytes(statement, column))
            guard count > 0, let bytes = sqlite3_column_blob(statement, column) else { return [] }
            return Array(UnsafeRawBufferPointer(start: bytes, count: count))
        }
    }

    /// Runs `sql` and hands each row to `body` as it is read, so a large result is never held.
    public func forEach(_ sql: String, _ arguments: [Value] = [], _ body: (Row) throws -> Void) throws {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else { throw lastError() }
        defer { sqlite3_finalize(statement) }
        Self.bind(arguments, to: statement)
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw lastError() }
            try body(Row(statement: statement))
        }
    }

    /// Compiles `sql` once, to be run many times with different values.
    public func prepare(_ sql: String) throws -> Statement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else { throw lastError() }
        return Statement(database: self, handle: statement)
    }

    /// The rowid of the last row inserted on this connection (sqlite3_last_insert_rowid).
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// A compiled statement (sqlite3_prepare_v2), reset after each run.
    public final class Statement {
        unowned let database: SQLiteDatabase
        let handle: OpaquePointer

        init(database: SQLiteDatabase, handle: OpaquePointer) {
            self.database = database
            self.handle = handle
        }

        deinit { sqlite3_finalize(handle) }

        // The hot path's binding, one parameter at a time with no `Value` array (crawl-dump's
        // sentence and reference rows); `step()` runs the statement and clears the bindings.

        public func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, index, value) }

        /// UTF-8 bytes bound as text; SQLite copies them.
        public func bind(_ index: Int32, text bytes: UnsafeBufferPointer<UInt8>) {
            bytes.withMemoryRebound(to: CChar.self) {
                if let base = $0.baseAddress { sqlite3_bind_text(handle, index, base, Int32($0.count), curate_sqlite_transient()) } else {
                    sqlite3_bind_text(handle, index, "", 0, curate_sqlite_transient())   // '' (a nil pointer would bind NULL)
                }
            }
        }

        public func bind(_ index: Int32, text: String?) {
            guard var text else { sqlite3_bind_null(handle, index); return }
            text.withUTF8 { bind(index, text: $0) }
        }

        /// Steps to the end and resets, clearing the bindings (rows are ignored).
        public func step() throws {
            defer { sqlite3_reset(handle); sqlite3_clear_bindings(handle) }
            while true {
                let status = sqlite3_step(handle)
                if status == SQLITE_DONE { return }
                guard status == SQLITE_ROW else { throw database.lastError() }
            }
        }

        /// Binds `values` to the `?` parameters, steps to the end, and resets (rows are ignored).
        public func run(_ values: [Value]) throws {
            defer { sqlite3_reset(handle); sqlite3_clear_bindings(handle) }
            SQLiteDatabase.bind(values, to: handle)
            while true {
                let status = sqlite3_step(handle)
                if status == SQLITE_DONE { return }
                guard status == SQLITE_ROW else { throw database.lastError() }
            }
        }
    }

    /// The version of the linked SQLite library (sqlite3_libversion).
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }

    /// Whether the linked SQLite has FTS5, which the sentence retrieval needs
    /// (sqlite3_compileoption_used("ENABLE_FTS5")).
    public static var hasFTS5: Bool { sqlite3_compileoption_used("ENABLE_FTS5") != 0 }

    fileprivate func lastError() -> SQLiteError {
        SQLiteError(path: path, code: sqlite3_errcode(handle), message: String(cString: sqlite3_errmsg(handle)))
    }
}
