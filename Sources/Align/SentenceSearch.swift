import Catalog
import CurateCore
import Foundation

/// English noun plurals to their singular, enough to match a detector's class names ("dogs" →
/// "dog", "boxes" → "box", "puppies" → "puppy", "glasses" → "glass"); words of 3 letters or less
/// and words in -ss, -us, -is are left alone. Tags are nouns, so curate stems plurals only.
public enum Stemmer {
    public static func stem(_ word: String) -> String {
        let w = word
        guard w.count > 3, w.allSatisfy({ $0.isASCII && $0.isLetter }) else { return w }
        if w.hasSuffix("ies") && w.count > 4 { return String(w.dropLast(3)) + "y" }
        if w.hasSuffix("sses") || w.hasSuffix("xes") || w.hasSuffix("zes") || w.hasSuffix("ches") || w.hasSuffix("shes") {
            return String(w.dropLast(2))
        }
        if w.hasSuffix("s") && !w.hasSuffix("ss") && !w.hasSuffix("us") && !w.hasSuffix("is") { return String(w.dropLast()) }
        return w
    }
}

/// One retrieved sentence.
public struct SentenceHit: Sendable, Equatable {
    public var sentenceID: Int64
    public var text: String
    public var pageID: Int64?
    /// BM25 as FTS5 computes it, sign flipped: higher is better.
    public var score: Double
}

/// Top-K sentences for a tag list, through an FTS5 index with BM25 ranking.
///
/// Queries are built from tokens, never from raw text: each tag is split by curate's tokenizer
/// into words (letters and digits only), each word is stemmed (`Stemmer`) and written as a quoted
/// FTS5 prefix term (`"dog"*`, so plurals and compounds match), and the terms are joined with OR.
/// Quotes, `AND`, `NEAR`, `*`, `:` or parentheses in a tag are never query syntax: they are not
/// words, and a word that spells an operator is inside quotes.
final class SentenceSearch {
    let db: SQLiteDatabase
    let corpus: Corpus
    /// Memoised results per query (many images share a tag list).
    private var cache: [String: [SentenceHit]] = [:]
    private let tokenizer = Tokenizer()

    enum Corpus {
        /// The catalog's page sentences (`sentences` + `sentences_fts`).
        case pages
        /// A corpus given with --corpus (`weak_corpus` + `weak_corpus_fts`).
        case file
    }

    init(path: String, corpus: Corpus) throws {
        db = try SQLiteDatabase(path: path)
        try db.execute("PRAGMA query_only = 1; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -65536")
        self.corpus = corpus
    }

    /// The stems of the tags' words, in tag order, without repeats (at most `limit`).
    func stems(_ tags: [String], limit: Int = 16) -> [String] {
        var seen = Set<String>(), out: [String] = []
        for tag in tags {
            for word in tokenizer.words(tag) {
                let stem = Stemmer.stem(word)
                if out.count < limit && seen.insert(stem).inserted { out.append(stem) }
            }
        }
        return out
    }

    /// The FTS5 query for `stems`: quoted prefix terms joined by OR.
    static func query(_ stems: [String]) -> String {
        stems.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"*" }.joined(separator: " OR ")
    }

    /// The best `k` sentences for `tags`, skipping sentences of `excludedPages`; with
    /// `requireTagWord`, only sentences with a word whose stem is a tag's stem (a prefix match like
    /// "doghouse" for "dog" does not count).
    func search(tags: [String], k: Int, excludedPages: Set<Int64>, requireTagWord: Bool) throws -> [SentenceHit] {
        let stems = self.stems(tags)
        guard !stems.isEmpty, k > 0 else { return [] }
        let query = Self.query(stems)
        let stemSet = Set(stems)
        var limit = k + 16
        while true {
            let hits = try top(query, limit: limit)
            var kept: [SentenceHit] = []
            for hit in hits {
                if let page = hit.pageID, excludedPages.contains(page) { continue }
                if requireTagWord && !tokenizer.words(hit.text).contains(where: { stemSet.contains(Stemmer.stem($0)) }) { continue }
                kept.append(hit)
                if kept.count == k { return kept }
            }
            if hits.count < limit || limit >= 4096 { return kept }
            limit *= 4
        }
    }

    private func top(_ query: String, limit: Int) throws -> [SentenceHit] {
        let key = "\(limit)\u{1}" + query
        if let known = cache[key] { return known }
        let sql: String
        switch corpus {
        case .pages:
            sql = """
                SELECT s.id, s.text, s.page_id, -m.rank FROM
                  (SELECT rowid, rank FROM sentences_fts WHERE sentences_fts MATCH ?1 ORDER BY rank LIMIT ?2) m
                JOIN sentences s ON s.id = m.rowid ORDER BY m.rank, s.id
                """
        case .file:
            sql = """
                SELECT c.id, c.text, NULL, -m.rank FROM
                  (SELECT rowid, rank FROM weak_corpus_fts WHERE weak_corpus_fts MATCH ?1 ORDER BY rank LIMIT ?2) m
                JOIN weak_corpus c ON c.id = m.rowid ORDER BY m.rank, c.id
                """
        }
        var hits: [SentenceHit] = []
        try db.forEach(sql, [.text(query), .integer(Int64(limit))]) { row in
            hits.append(SentenceHit(sentenceID: row.integer(0), text: row.text(1) ?? "", pageID: row.isNull(2) ? nil : row.integer(2), score: row.real(3)))
        }
        if cache.count > 100_000 { cache.removeAll(keepingCapacity: true) }
        cache[key] = hits
        return hits
    }
}
