import Catalog
import CurateCore
import Foundation

/// weak-pairs over units (README: "Running on a cluster"). The images to pair and the sentence
/// corpus are both spread over the units; the answer is the one catalog of the whole crawl gives:
///
///   contexts   each unit lists its kept images with what tags are read from (URLs, titles,
///              figcaptions, in reference order) and whether it keeps an alt text of them; the
///              engine merges them by SHA-256
///   tags       `curate task weak-tags` selects the merged images without a kept alt text anywhere
///              and tags them (detections, else context), with the stems of their queries
///   statistics each unit counts BM25's figures for every stem; the engine sums them
///   search     each unit ranks its own sentences for every query with the summed figures (so a
///              score is the one the whole index gives) and keeps its best k; the engine keeps the
///              best k over the units, ties to the lower sentence number (one catalog's id).
public enum WeakPairsUnits {
    public struct Reference: Codable, Sendable, Equatable {
        /// The reference's and its page's numbers in one catalog of the whole crawl.
        public var ref: Int64
        public var page: Int64
        public var title: String
        public var figcaption: String
    }

    /// One image as one unit sees it, or (merged by the engine) as every unit does.
    public struct ContextLine: Codable, Sendable {
        public var sha: String
        public var image: Int64
        public var url: String
        public var alt: Bool
        public var names: [String]
        public var refs: [Reference]
    }

    /// A selected image's tags and its query's stems; `source` none: no tags, not queried.
    public struct TagLine: Codable, Sendable {
        public var sha: String
        public var image: Int64
        public var tags: [String]
        public var source: String
        public var stems: [String]
    }

    public struct Hit: Codable, Sendable, Equatable {
        public var id: Int64
        public var text: String
        public var score: Double
    }

    /// One unit's best sentences for an image (engine: the best k over every unit's).
    public struct HitsLine: Codable, Sendable {
        public var sha: String
        public var hits: [Hit]
    }

    /// The unit's kept images; `numbers` gives an image's number and first URL over the crawl, and
    /// the offsets of the unit's references and pages.
    public static func contexts(catalogPath: String, image: (String) -> (id: Int64, url: String)?, refOffset: Int64, pageOffset: Int64) throws -> [ContextLine] {
        let store = try CatalogStore(path: catalogPath)
        var out: [ContextLine] = []
        try store.forEachKeptImageContext { context, alt, refs in
            guard let global = image(context.sha256) else { return }
            let references = zip(refs, zip(context.titles, context.figcaptions)).map { ref, texts in
                Reference(ref: ref.id + refOffset, page: ref.page + pageOffset, title: texts.0, figcaption: texts.1)
            }
            out.append(ContextLine(sha: context.sha256, image: global.id, url: global.url, alt: alt, names: context.urls, refs: references))
        }
        return out
    }

    /// The image context one catalog would read, from a merged line.
    static func context(_ line: ContextLine) -> ImageContext {
        var urls = [line.url]
        for name in Set(line.names).sorted() where !urls.contains(name) { urls.append(name) }
        var context = ImageContext(imageID: line.image, urls: urls, sha256: line.sha)
        for ref in line.refs.sorted(by: { $0.ref < $1.ref }) {
            context.pages.insert(ref.page)
            if !ref.title.isEmpty && !context.titles.contains(ref.title) { context.titles.append(ref.title) }
            if !ref.figcaption.isEmpty && !context.figcaptions.contains(ref.figcaption) { context.figcaptions.append(ref.figcaption) }
        }
        return context
    }

    /// The merged images weak-pairs selects (no kept alt text in any unit, unless `allImages`),
    /// tagged as one catalog tags them.
    public static func tags(_ lines: [ContextLine], detections: String?, allImages: Bool) throws -> [TagLine] {
        var providers: [TagProvider] = []
        if let detections { providers.append(try DetectionTags(path: detections)) }
        providers.append(ContextTags())
        let search = SentenceStems()
        return lines.filter { allImages || !$0.alt }.sorted { $0.image < $1.image }.map { line in
            let context = Self.context(line)
            guard let tags = providers.lazy.compactMap({ $0.tags(for: context) }).first else {
                return TagLine(sha: line.sha, image: line.image, tags: [], source: "none", stems: [])
            }
            return TagLine(sha: line.sha, image: line.image, tags: tags.tags, source: tags.source.rawValue, stems: search.stems(tags.tags))
        }
    }

    /// The unit's part of BM25's figures for `stems`.
    public static func statistics(catalogPath: String, stems: [String]) throws -> BM25Statistics {
        let store = try CatalogStore(path: catalogPath)
        try store.indexSentences()
        return try SentenceSearch(path: catalogPath, corpus: .pages).localStatistics(stems)
    }

    /// The unit's best `k` sentences for each tagged image, scored with the whole crawl's figures;
    /// sentence numbers are the unit's plus `sentenceOffset`.
    public static func search(catalogPath: String, queries: [TagLine], statistics: BM25Statistics, k: Int, requireTagWord: Bool,
                              sentenceOffset: Int64) throws -> [HitsLine] {
        let store = try CatalogStore(path: catalogPath)
        try store.indexSentences()
        let search = try SentenceSearch(path: catalogPath, corpus: .pages, statistics: statistics)
        return try queries.filter { $0.source != "none" }.map { query in
            let hits = try search.search(tags: query.tags, k: k, excludedPages: [], requireTagWord: requireTagWord)
            return HitsLine(sha: query.sha, hits: hits.map { Hit(id: $0.sentenceID + sentenceOffset, text: $0.text, score: $0.score) })
        }
    }
}

/// The stems of a tag list's words, as SentenceSearch queries them.
struct SentenceStems {
    private let tokenizer = Tokenizer()
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
}
