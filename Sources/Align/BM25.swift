import Catalog
import Foundation

/// BM25 exactly as FTS5's bm25() computes it (ext/fts5/fts5_aux.c: k1 = 1.2, b = 0.75, the IDF
/// floored at 1e-6, the same operations in the same order), from figures a caller can sum over
/// units: the index's rows and tokens, and per term its matching rows. One catalog passes its own
/// figures and gets FTS5's scores bit for bit (a test checks it); units pass every unit's figures
/// summed and get the scores one index of the whole crawl would give.
public struct BM25Statistics: Codable, Sendable, Equatable {
    public var rows: Int64
    public var tokens: Int64
    /// Term (a stem, queried as a prefix) → rows that match it.
    public var matching: [String: Int64]

    public init(rows: Int64, tokens: Int64, matching: [String: Int64] = [:]) {
        self.rows = rows; self.tokens = tokens; self.matching = matching
    }

    static let k1 = 1.2, b = 0.75

    /// One term's score in one row (FTS5's sign: higher is better once flipped, as here).
    func score(term: String, frequency: Int, length: Int64) -> Double {
        let hits = matching[term] ?? 0
        var idf = log((Double(rows - hits) + 0.5) / (Double(hits) + 0.5))
        if idf <= 0 { idf = 1e-6 }
        let avgdl = Double(tokens) / Double(rows)
        let f = Double(frequency), d = Double(length)
        var score = 0.0
        score += idf * ((f * (Self.k1 + 1.0)) / (f + Self.k1 * (1 - Self.b + Self.b * d / avgdl)))
        return score
    }
}
