import Catalog
import Foundation
import Testing

@Suite struct SQLiteDatabaseTests {
    func temporaryDatabase() throws -> SQLiteDatabase {
        try SQLiteDatabase(path: FileManager.default.temporaryDirectory.appendingPathComponent("curate-\(UUID().uuidString).sqlite").path)
    }

    @Test func bindAndReadEveryType() throws {
        let db = try temporaryDatabase()
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, n TEXT)")
        try db.query("INSERT INTO t VALUES (?, ?, ?, ?)", [.integer(42), .real(0.5), .text("héllo 'quoted'"), .null])
        #expect(try db.query("SELECT i, r, s, n FROM t") == [[.integer(42), .real(0.5), .text("héllo 'quoted'"), .null]])
    }

    /// The sentence retrieval (issue 7) needs FTS5 with BM25 ranking in the linked SQLite.
    @Test func fts5WithBM25IsAvailable() throws {
        #expect(SQLiteDatabase.hasFTS5)
        let db = try temporaryDatabase()
        try db.execute("CREATE VIRTUAL TABLE sentences USING fts5(text)")
        for sentence in ["a red circle above a square", "two blue squares", "the red car is parked", "a circle"] {
            try db.query("INSERT INTO sentences VALUES (?)", [.text(sentence)])
        }
        let rows = try db.query("SELECT text FROM sentences WHERE sentences MATCH ? ORDER BY bm25(sentences) LIMIT 2", [.text("red circle")])
        #expect(rows.first == [.text("a red circle above a square")])
        #expect(rows.count == 1)  // implicit AND: only one sentence has both words
    }

    @Test func errorsCarryThePathAndSQLitesMessage() throws {
        let db = try temporaryDatabase()
        #expect { try db.execute("SELEKT 1") } throws: { error in
            let text = "\(error)"
            return text.contains(db.path) && text.contains("syntax error")
        }
        #expect(throws: SQLiteError.self) { try SQLiteDatabase(path: "/nonexistent-folder/x/catalog.sqlite") }
    }
}
