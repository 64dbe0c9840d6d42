/// A read-only connection to one of the catalog's FTS5 sentence indexes, for weak-pairs'
/// retrieval threads (each opens its own): the page sentences crawl-dump indexed, or a --corpus
/// weak-pairs loaded. Queries are FTS5 MATCH expressions the caller builds.
public final class SentenceIndex {
    public enum Corpus: String, Sendable {
        /// The catalog's page sentences (`sentences` + `sentences_fts`).
        case pages
        /// A corpus given with --corpus (`weak_corpus` + `weak_corpus_fts`).
        case file

        var fts: String { self == .pages ? "sentences_fts" : "weak_corpus_fts" }
        var table: String { self == .pages ? "sentences" : "weak_corpus" }
        var pageColumn: String { self == .pages ? "page_id" : "NULL" }
    }

    public let corpus: Corpus
    let db: SQLiteDatabase

    public init(path: String, corpus: Corpus) throws {
        db = try SQLiteDatabase(path: path)
        try db.execute("PRAGMA query_only = 1; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -65536")
        self.corpus = corpus
    }

    /// Every sentence matching `match`, with its bm25 (sign flipped: higher is better).
    public func matches(_ match: String) throws -> [(id: Int64, score: Double)] {
        var out: [(Int64, Double)] = []
        try db.forEach("SELECT rowid, -bm25(\(corpus.fts)) FROM \(corpus.fts) WHERE \(corpus.fts) MATCH ?", [.text(match)]) {
            out.append(($0.integer(0), $0.real(1)))
        }
        return out
    }

    /// The best `limit` sentences for `match` as FTS5 ranks them (ties by id).
    public func ranked(_ match: String, limit: Int) throws -> [(id: Int64, score: Double)] {
        var out: [(Int64, Double)] = []
        try db.forEach("SELECT rowid, -rank FROM \(corpus.fts) WHERE \(corpus.fts) MATCH ? ORDER BY rank, rowid LIMIT ?",
                       [.text(match), .integer(Int64(limit))]) { out.append(($0.integer(0), $0.real(1))) }
        return out
    }

    // MARK: BM25's figures, for scoring with the statistics of several units (Align's BM25)

    /// What FTS5's bm25() reads of the whole index: its rows and their tokens.
    public func corpusSize() throws -> (rows: Int64, tokens: Int64) {
        var rows: Int64 = 0, tokens: Int64 = 0
        try db.forEach("SELECT sz FROM \(corpus.fts)_docsize") { row in
            rows += 1
            tokens += Self.varint(row.blob(0))
        }
        return (rows, tokens)
    }

    /// Every row matching `match` (one phrase), with the phrase's instances in it and the row's
    /// tokens: bm25()'s term frequency and document length (highlight() marks each instance).
    public func termFrequencies(_ match: String) throws -> [(id: Int64, frequency: Int, length: Int64)] {
        var out: [(Int64, Int, Int64)] = []
        let sql = "SELECT f.rowid, highlight(\(corpus.fts), 0, char(1), char(2)), d.sz FROM \(corpus.fts) f "
            + "JOIN \(corpus.fts)_docsize d ON d.id = f.rowid WHERE \(corpus.fts) MATCH ? ORDER BY f.rowid"
        try db.forEach(sql, [.text(match)]) { row in
            let marked = row.text(1) ?? ""
            out.append((row.integer(0), marked.utf8.reduce(0) { $0 + ($1 == 1 ? 1 : 0) }, Self.varint(row.blob(2))))
        }
        return out
    }

    /// FTS5's docsize record: one SQLite varint per column (one column here).
    static func varint(_ bytes: [UInt8]) -> Int64 {
        var value: Int64 = 0
        for (k, byte) in bytes.enumerated() {
            if k == 8 { return value << 8 | Int64(byte) }
            value = value << 7 | Int64(byte & 0x7F)
            if byte & 0x80 == 0 { return value }
        }
        return value
    }

    /// A sentence's text and page (nil for a --corpus sentence).
    public func sentence(_ id: Int64) throws -> (text: String, page: Int64?) {
        var found: (String, Int64?) = ("", nil)
        try db.forEach("SELECT text, \(corpus.pageColumn) FROM \(corpus.table) WHERE id = ?", [.integer(id)]) {
            found = ($0.text(0) ?? "", $0.isNull(1) ? nil : $0.integer(1))
        }
        return found
    }
}
