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

/// What a run did.
public struct WeakPairSummary: Sendable {
    public var images = 0
    public var detectorTagged = 0
    public var contextTagged = 0
    public var untagged = 0
    public var unmatched = 0
    public var pairs = 0
    public var detectionLinesSkipped = 0
    public var seconds = 0.0

    public var text: String {
        String(format: """
            weak pairs for %d images: tags from the detector %d, from context %d, none %d; no sentence found %d
            wrote %d weak pairs (%.1f s, %.0f images/s)%@
            """, images, detectorTagged, contextTagged, untagged, unmatched, pairs, seconds, Double(images) / max(seconds, 1e-9),
                      detectionLinesSkipped > 0 ? "; \(detectionLinesSkipped) detection lines skipped (not readable JSON, or over 1 MiB)" as NSString : "" as NSString)
    }
}

/// µ-VLA's weak pairs: each selected image's ordered tags query the sentence corpus, and the top K
/// sentences become its weak pairs, stored in `weak_pairs` (replaced as a whole by each run).
public final class WeakPairs {
    let options: WeakPairOptions
    let db: SQLiteDatabase

    public init(options: WeakPairOptions) throws {
        guard FileManager.default.fileExists(atPath: options.catalogPath) else { throw AlignError.noCatalog(path: options.catalogPath) }
        self.options = options
        do {
            db = try SQLiteDatabase(path: options.catalogPath)
            try db.execute("PRAGMA busy_timeout = 5000")
            guard try !db.query("SELECT 1 FROM sqlite_master WHERE name = 'filter_decisions'").isEmpty,
                  try !db.query("SELECT 1 FROM meta WHERE key = 'filter.run'").isEmpty else { throw AlignError.notFiltered }
            try Self.createTables(db)
        } catch let error as SQLiteError {
            throw AlignError.catalog(error.description)
        }
    }

    static func createTables(_ db: SQLiteDatabase) throws {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS weak_pairs (
                image_id INTEGER NOT NULL, rank INTEGER NOT NULL, corpus TEXT NOT NULL, sentence_id INTEGER NOT NULL,
                text TEXT NOT NULL, score REAL NOT NULL, tags TEXT NOT NULL, tag_source TEXT NOT NULL,
                PRIMARY KEY (image_id, rank)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS weak_corpus (id INTEGER PRIMARY KEY, source TEXT NOT NULL, text TEXT NOT NULL);
            CREATE VIRTUAL TABLE IF NOT EXISTS weak_corpus_fts USING fts5(text, content='weak_corpus', content_rowid='id');
            """)
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
            if !options.corpus.isEmpty { try loadCorpus() }
            let images = try selectImages()
            summary.images = images.count
            var tagged: [(ImageContext, ImageTags)] = []
            for image in images {
                guard let tags = providers.lazy.compactMap({ $0.tags(for: image) }).first else { summary.untagged += 1; continue }
                if tags.source == .detector { summary.detectorTagged += 1 } else { summary.contextTagged += 1 }
                tagged.append((image, tags))
            }
            let results = try retrieve(tagged)
            try store(tagged, results)
            summary.unmatched = results.filter(\.isEmpty).count
            summary.pairs = results.reduce(0) { $0 + $1.count }
            summary.seconds = Date().timeIntervalSince(started)
            try db.query("INSERT INTO runs (command, version, options, started, finished, summary) VALUES ('weak-pairs', ?, ?, ?, ?, ?)",
                         [.text(CurateVersion.string), .text(optionsText), .text(ISO8601DateFormatter().string(from: started)),
                          .text(ISO8601DateFormatter().string(from: Date())), .text(summary.text)])
            return summary
        } catch let error as SQLiteError {
            throw AlignError.catalog(error.description)
        }
    }

    var optionsText: String {
        "k=\(options.k) all_images=\(options.allImages) exclude_own_pages=\(options.excludeOwnPages) require_tag_word=\(options.requireTagWord) detections=\(options.detections ?? "-") corpus=\(options.corpus.isEmpty ? "pages" : options.corpus.joined(separator: ","))"
    }

    /// Kept images (no image decision of the last filter run) without a kept alt-text pair, or
    /// every kept image with `allImages`; with their URLs, titles, figcaptions and pages.
    func selectImages() throws -> [ImageContext] {
        var sql = "SELECT id, url, sha256 FROM images WHERE id NOT IN (SELECT id FROM filter_decisions WHERE item = 'image')"
        if !options.allImages {
            sql += """
                 AND NOT EXISTS (SELECT 1 FROM pairs p WHERE p.image_id = images.id AND p.text_source = 'alt'
                                 AND p.id NOT IN (SELECT id FROM filter_decisions WHERE item = 'pair'))
                """
        }
        var images: [ImageContext] = [], index: [Int64: Int] = [:]
        try db.forEach(sql + " ORDER BY id") { row in
            index[row.integer(0)] = images.count
            images.append(ImageContext(imageID: row.integer(0), urls: row.text(1).map { [$0] } ?? [], sha256: row.text(2) ?? "", titles: [], figcaptions: []))
        }
        try db.forEach("SELECT image_id, url FROM image_urls ORDER BY url") { row in
            if let i = index[row.integer(0)], let url = row.text(1), !images[i].urls.contains(url) { images[i].urls.append(url) }
        }
        try db.forEach("SELECT image_id, page_id, title, figcaption FROM refs WHERE image_id IS NOT NULL ORDER BY id") { row in
            guard let i = index[row.integer(0)] else { return }
            images[i].pages.insert(row.integer(1))
            if let title = row.text(2), !title.isEmpty, !images[i].titles.contains(title) { images[i].titles.append(title) }
            if let caption = row.text(3), !caption.isEmpty, !images[i].figcaptions.contains(caption) { images[i].figcaptions.append(caption) }
        }
        return images
    }

    /// Loads --corpus into `weak_corpus` and its FTS5 index, unless the same files are there already.
    func loadCorpus() throws {
        var key = ""
        for path in options.corpus {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            key += "\(path):\((attributes?[.size] as? Int) ?? -1):\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0);"
        }
        if case .text(let known)? = try db.query("SELECT value FROM meta WHERE key = 'weak_corpus.key'").first?.first, known == key { return }
        let sentences = try SentenceCorpus.sentences(in: options.corpus)
        try db.execute("BEGIN IMMEDIATE")
        try db.execute("DELETE FROM weak_corpus")
        let insert = try db.prepare("INSERT INTO weak_corpus (source, text) VALUES (?, ?)")
        for sentence in sentences { try insert.run([.text(sentence.source), .text(sentence.text)]) }
        try db.execute("INSERT INTO weak_corpus_fts(weak_corpus_fts) VALUES ('rebuild')")
        try db.query("INSERT OR REPLACE INTO meta (key, value) VALUES ('weak_corpus.key', ?)", [.text(key)])
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
        let corpus: SentenceSearch.Corpus = options.corpus.isEmpty ? .pages : .file
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

    func store(_ tagged: [(ImageContext, ImageTags)], _ results: [[SentenceHit]]) throws {
        let corpus = options.corpus.isEmpty ? "pages" : "file"
        try db.execute("BEGIN IMMEDIATE")
        do {
            try db.execute("DELETE FROM weak_pairs")
            let insert = try db.prepare("INSERT INTO weak_pairs (image_id, rank, corpus, sentence_id, text, score, tags, tag_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            for ((image, tags), hits) in zip(tagged, results) {
                let tagText = String(decoding: try JSONSerialization.data(withJSONObject: tags.tags), as: UTF8.self)
                for (rank, hit) in hits.enumerated() {
                    try insert.run([.integer(image.imageID), .integer(Int64(rank + 1)), .text(corpus), .integer(hit.sentenceID), .text(hit.text),
                                    .real(hit.score), .text(tagText), .text(tags.source.rawValue)])
                }
            }
            try db.query("INSERT OR REPLACE INTO meta (key, value) VALUES ('weak_pairs.options', ?)", [.text(optionsText)])
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }
}

import Synchronization
