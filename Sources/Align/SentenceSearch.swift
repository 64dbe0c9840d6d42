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
///
/// Speed: FTS5's bm25() of an OR query is the sum of its terms' bm25() (each term's IDF and
/// length normalisation stand alone), so curate asks FTS5 once per distinct term for every
/// matching sentence and its bm25, keeps that list, and ranks an image's query by adding its
/// terms' lists: the same order as `MATCH 'a OR b' ORDER BY rank` (a test checks it), without
/// scoring the same term again for every image that carries it.
final class SentenceSearch {
    let index: SentenceIndex
    /// Per term: every matching sentence and its bm25 (sign flipped), by sentence id.
    private var termHits: [String: [(id: Int64, score: Double)]] = [:]
    private var texts: [Int64: (text: String, page: Int64?)] = [:]
    private let tokenizer = Tokenizer()

    /// BM25's figures: this catalog's own, or (units) every unit's summed.
    private var statistics: BM25Statistics?
    private let global: Bool

    init(path: String, corpus: SentenceIndex.Corpus, statistics: BM25Statistics? = nil) throws {
        index = try SentenceIndex(path: path, corpus: corpus)
        self.statistics = statistics
        global = statistics != nil
    }

    /// This index's figures for `stems` (a unit's part of the global statistics).
    func localStatistics(_ stems: [String]) throws -> BM25Statistics {
        let size = try index.corpusSize()
        var out = BM25Statistics(rows: size.rows, tokens: size.tokens)
        for stem in stems { out.matching[stem] = Int64(try index.termFrequencies(Self.query([stem])).count) }
        return out
    }

    /// The stems of the tags' words, in tag order, without repeats (at most `limit`).
    func stems(_ tags: [String], limit: Int = 16) -> [String] { SentenceStems().stems(tags, limit: limit) }

    /// The FTS5 query for `stems`: quoted prefix terms joined by OR.
    static func query(_ stems: [String]) -> String {
        stems.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"*" }.joined(separator: " OR ")
    }

    /// The best `k` sentences for `tags`, skipping sentences of `excludedPages`; with
    /// `requireTagWord`, only sentences with a word whose stem is a tag's stem (a prefix match like
    /// "doghouse" for "dog" does not count). Ties in score go to the lower sentence id.
    func search(tags: [String], k: Int, excludedPages: Set<Int64>, requireTagWord: Bool) throws -> [SentenceHit] {
        let stems = self.stems(tags)
        guard !stems.isEmpty, k > 0 else { return [] }
        let lists = try stems.map { try hits($0) }
        let stemSet = Set(stems)
        // Candidates are taken best first; when the filters reject too many, take more.
        var want = k + 16
        while true {
            let ranked = Self.top(merging: lists, count: want)
            var kept: [SentenceHit] = []
            for (id, score) in ranked {
                let (text, page) = try sentence(id)
                if let page, excludedPages.contains(page) { continue }
                if requireTagWord && !tokenizer.words(text).contains(where: { stemSet.contains(Stemmer.stem($0)) }) { continue }
                kept.append(SentenceHit(sentenceID: id, text: text, pageID: page, score: score))
                if kept.count == k { return kept }
            }
            if ranked.count < want { return kept }
            want *= 4
        }
    }

    /// The `count` best (sum of scores over the lists, then lowest id) of the union of `lists`,
    /// each sorted by id: a merge by id, keeping the best `count` in a small sorted array.
    static func top(merging lists: [[(id: Int64, score: Double)]], count: Int) -> [(Int64, Double)] {
        var positions = [Int](repeating: 0, count: lists.count)
        var best: [(Int64, Double)] = []
        best.reserveCapacity(count + 1)
        func better(_ a: (Int64, Double), _ b: (Int64, Double)) -> Bool { a.1 != b.1 ? a.1 > b.1 : a.0 < b.0 }
        while true {
            var id = Int64.max
            for (l, list) in lists.enumerated() where positions[l] < list.count { id = min(id, list[positions[l]].id) }
            if id == Int64.max { break }
            var score = 0.0
            for (l, list) in lists.enumerated() where positions[l] < list.count && list[positions[l]].id == id {
                score += list[positions[l]].score
                positions[l] += 1
            }
            let candidate = (id, score)
            if best.count == count, let last = best.last, !better(candidate, last) { continue }
            var at = best.count
            while at > 0 && better(candidate, best[at - 1]) { at -= 1 }
            best.insert(candidate, at: at)
            if best.count > count { best.removeLast() }
        }
        return best
    }

    /// Every sentence matching `"stem"*`, with its BM25 (sign flipped: higher is better): FTS5's
    /// bm25() from this index's figures, or the whole crawl's for a unit.
    func hits(_ stem: String) throws -> [(id: Int64, score: Double)] {
        if let known = termHits[stem] { return known }
        let rows = try index.termFrequencies(Self.query([stem]))
        if statistics == nil {
            let size = try index.corpusSize()
            statistics = BM25Statistics(rows: size.rows, tokens: size.tokens)
        }
        if !global { statistics!.matching[stem] = Int64(rows.count) }
        let stats = statistics!
        let out = rows.map { (id: $0.id, score: stats.score(term: stem, frequency: $0.frequency, length: $0.length)) }
        termHits[stem] = out
        return out
    }

    /// FTS5's own bm25() for one stem (the test that BM25Statistics agrees with it).
    func fts5Scores(_ stem: String) throws -> [(id: Int64, score: Double)] { try index.matches(Self.query([stem])) }

    private func sentence(_ id: Int64) throws -> (String, Int64?) {
        if let known = texts[id] { return known }
        let found = try index.sentence(id)
        if texts.count > 200_000 { texts.removeAll(keepingCapacity: true) }
        texts[id] = found
        return found
    }

    /// The FTS5 way, one OR query ranked by FTS5 itself: the reference `search` must agree with.
    func searchDirectly(tags: [String], k: Int) throws -> [SentenceHit] {
        let stems = self.stems(tags)
        guard !stems.isEmpty else { return [] }
        return try index.ranked(Self.query(stems), limit: k).map { SentenceHit(sentenceID: $0.id, text: "", pageID: nil, score: $0.score) }
    }
}
