import Catalog
import CurateCore
import Dispatch
import Foundation

public struct WeakPairOptions: Sendable {
    public var workDirectory: String
    /// A detector's JSON lines (README: "Detections"); nil: context tags only.
    public var detections: String?
    /// Files or folders of sentences; empty: the catalog's page sentences.
    public var corpus: [String] = []
    /// Sentences per image (µ-VLA: 5).
    public var k = 5
    /// Every kept image, not only those without a kept alt-text pair.
    public var allImages = false
    /// Never pair an image with a sentence of a page it appears on (µ-VLA's cross-corpus setting).
    public var excludeOwnPages = false
    /// Keep only sentences with a word whose stem is a tag's stem.
    public var requireTagWord = false
    public var threads = 2

    public init(workDirectory: String) { self.workDirectory = workDirectory }
    public var catalogPath: String { workDirectory + "/catalog.sqlite" }
}

/// What a run did (the runs table records it as is).
public typealias WeakPairSummary = WeakPairsRun.Summary

/// µ-VLA's weak pairs: each selected image's ordered tags query the sentence corpus, and the top K
/// sentences become its weak pairs, stored in `weak_pairs` (replaced as a whole by each run).
public final class WeakPairs {
    let options: WeakPairOptions
    let store: CatalogStore
    var db: SQLiteDatabase { store.db }

    public init(options: WeakPairOptions) throws {
        guard FileManager.default.fileExists(atPath: options.catalogPath) else { throw AlignError.noCatalog(path: options.catalogPath) }
        self.options = options
        do {
            store = try CatalogStore(path: options.catalogPath)
            guard try store.lastFilterRun() != nil else { throw AlignError.notFiltered }
        } catch let error as CatalogError {
            throw AlignError.catalogRefused(error.description)
        } catch let error as SQLiteError {
            throw AlignError.catalog(error.description)
        }
    }

    public func run() throws -> WeakPairSummary {
        let started = Date()
        do {
            var summary = WeakPairSummary()
            var providers: [TagProvider] = []
            if let path = options.detections {
                let detections = try DetectionTags(path: path)
                summary.detectionLinesSkipped = detections.skipped.count
                providers.append(detections)
            }
            providers.append(ContextTags())
            if !options.corpus.isEmpty { try loadCorpus() } else { try store.indexSentences() }
            let images = try selectImages()
            summary.images = images.count
            var tagged: [(ImageContext, ImageTags)] = []
            for image in images {
                guard let tags = providers.lazy.compactMap({ $0.tags(for: image) }).first else { summary.untagged += 1; continue }
                if tags.source == .detector { summary.detectorTagged += 1 } else { summary.contextTagged += 1 }
                tagged.append((image, tags))
            }
            let results = try retrieve(tagged)
            summary.unmatched = results.filter(\.isEmpty).count
            summary.pairs = results.reduce(0) { $0 + $1.count }
            summary.seconds = Date().timeIntervalSince(started)
            try save(tagged, results, summary: summary, started: started)
            return summary
        } catch let error as SQLiteError {
            throw AlignError.catalog(error.description)
        }
    }

    /// What the runs table records.
    var record: WeakPairsRun.Options {
        WeakPairsRun.Options(k: options.k, allImages: options.allImages, excludeOwnPages: options.excludeOwnPages,
                             requireTagWord: options.requireTagWord, detections: options.detections, corpus: options.corpus)
    }

    /// Kept images (no image decision of the last filter run) without a kept alt-text pair, or
    /// every kept image with `allImages`; with their URLs, titles, figcaptions and pages.
    func selectImages() throws -> [ImageContext] {
        try store.keptImagesForWeakPairs(allImages: options.allImages)
    }

    /// Loads --corpus into `weak_corpus` and its FTS5 index, unless the same files are there already.
    func loadCorpus() throws {
        var key = ""
        for path in options.corpus {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            key += "\(path):\((attributes?[.size] as? Int) ?? -1):\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0);"
        }
        if try store.meta(.weakCorpus) == key { return }
        let sentences = try SentenceCorpus.sentences(in: options.corpus)
        try db.execute("BEGIN IMMEDIATE")
        try db.execute("DELETE FROM weak_corpus")
        let insert = try db.prepare("INSERT INTO weak_corpus (source, text) VALUES (?, ?)")
        for sentence in sentences { try insert.run([.text(sentence.source), .text(sentence.text)]) }
        try db.execute("INSERT INTO weak_corpus_fts(weak_corpus_fts) VALUES ('rebuild')")
        try store.setMeta(.weakCorpus, key)
        try db.execute("COMMIT")
    }

    /// Queries on `threads` threads, each with its own read-only connection and result cache.
    func retrieve(_ tagged: [(ImageContext, ImageTags)]) throws -> [[SentenceHit]] {
        let workers = max(1, min(options.threads, tagged.count))
        let results = UnsafeMutableBufferPointer<[SentenceHit]>.allocate(capacity: tagged.count)
        results.initialize(repeating: [])
        defer { results.deinitialize(); results.deallocate() }
        nonisolated(unsafe) let out = results
        let failures = Mutex<[Error]>([])
        let options = self.options
        let corpus: SentenceIndex.Corpus = options.corpus.isEmpty ? .pages : .file
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            do {
                let search = try SentenceSearch(path: options.catalogPath, corpus: corpus)
                for i in stride(from: worker, to: tagged.count, by: workers) {
                    let (image, tags) = tagged[i]
                    out[i] = try search.search(tags: tags.tags, k: options.k, excludedPages: options.excludeOwnPages ? image.pages : [],
                                               requireTagWord: options.requireTagWord)
                }
            } catch {
                failures.withLock { $0.append(error) }
            }
        }
        if let first = failures.withLock({ $0.first }) { throw first }
        return Array(results)
    }

    /// Replaces the previous run's weak pairs and records the run, in one transaction.
    func save(_ tagged: [(ImageContext, ImageTags)], _ results: [[SentenceHit]], summary: WeakPairSummary, started: Date) throws {
        let corpus = options.corpus.isEmpty ? SentenceIndex.Corpus.pages.rawValue : SentenceIndex.Corpus.file.rawValue
        try db.execute("BEGIN IMMEDIATE")
        do {
            try db.execute("DELETE FROM weak_pairs")
            let insert = try db.prepare("INSERT INTO weak_pairs (image_id, rank, corpus, sentence_id, text, score, tags, tag_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            for ((image, tags), hits) in zip(tagged, results) {
                let tagText = WeakPairTags.encode(tags.tags)
                for (rank, hit) in hits.enumerated() {
                    try insert.run([.integer(image.imageID), .integer(Int64(rank + 1)), .text(corpus), .integer(hit.sentenceID), .text(hit.text),
                                    .real(hit.score), .text(tagText), .text(tags.source.rawValue)])
                }
            }
            try store.recordRun(WeakPairsRun.self, options: record, summary: summary, started: started)
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }
}

import Synchronization
