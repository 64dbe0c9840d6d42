import Catalog
import Crawl
import CurateCore
import Filters
import Foundation
import Testing
import TestSupport
@testable import Align

/// Weak pairs on the sample crawl (crawl-dump, then filter, then weak-pairs), measured against
/// samples/truth.jsonl: does the retrieved sentence describe an object the image really holds?
@Suite(.serialized) struct SampleWeakPairsTests {
    static let root = SharedCorpus.repositoryRoot.path

    static func filteredSample() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("curate-weak-\(UUID().uuidString)").path
        _ = try CrawlDump(options: CrawlOptions(inputs: [root + "/samples/crawl.warc.gz"], workDirectory: folder)).run()
        var options = FilterOptions(workDirectory: folder, rules: try RuleSet.load(path: root + "/Sources/Filters/Rules/align.toml"))
        options.evalPaths = [root + "/samples/eval"]
        _ = try Filter(options: options, readImage: StoredPayload.reader).run()
        return folder
    }

    /// Truth objects per image URL: (colour, shape) pairs.
    static func objects() throws -> [String: [(colour: String, shape: String)]] {
        var out: [String: [(String, String)]] = [:]
        for line in try String(contentsOfFile: root + "/samples/truth.jsonl", encoding: .utf8).split(separator: "\n") {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            guard o["type"] as? String == "image", let url = o["url"] as? String, let objects = o["objects"] as? [[String: Any]] else { continue }
            out[url] = objects.map { ($0["colour"] as! String, $0["shape"] as! String) }
        }
        return out
    }

    struct Quality { var pairs = 0, shape = 0, colourAndShape = 0, describes = 0, images = 0 }

    /// Sentence text → the image URLs the generator wrote it about (truth pages' `describes`).
    static func describes() throws -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for line in try String(contentsOfFile: root + "/samples/truth.jsonl", encoding: .utf8).split(separator: "\n") {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            for sentence in o["sentences"] as? [[String: Any]] ?? [] {
                if let url = sentence["describes"] as? String, let text = sentence["text"] as? String { out[text, default: []].insert(url) }
            }
        }
        return out
    }

    func measure(_ folder: String, _ configure: (inout WeakPairOptions) -> Void) throws -> (WeakPairSummary, Quality) {
        var options = WeakPairOptions(workDirectory: folder)
        options.detections = Self.root + "/samples/detections.jsonl"
        configure(&options)
        let summary = try WeakPairs(options: options).run()
        let truth = try Self.objects(), described = try Self.describes()
        let db = try SQLiteDatabase(path: folder + "/catalog.sqlite")
        var urls: [Int64: [String]] = [:]
        try db.forEach("SELECT image_id, url FROM image_urls") { urls[$0.integer(0), default: []].append($0.text(1)!) }
        var q = Quality()
        var images = Set<Int64>()
        let tokenizer = Tokenizer()
        try db.forEach("SELECT image_id, text FROM weak_pairs") { row in
            guard let objects = urls[row.integer(0)]?.lazy.compactMap({ truth[$0] }).first else { return }
            let words = tokenizer.words(row.text(1)!).map(Stemmer.stem)
            q.pairs += 1
            images.insert(row.integer(0))
            if objects.contains(where: { words.contains($0.shape) }) { q.shape += 1 }
            let bigrams = Set(zip(words, words.dropFirst()).map { $0 + " " + $1 })
            if objects.contains(where: { bigrams.contains($0.colour + " " + $0.shape) }) { q.colourAndShape += 1 }
            if let about = described[row.text(1)!], !about.isDisjoint(with: urls[row.integer(0)] ?? []) { q.describes += 1 }
        }
        q.images = images.count
        return (summary, q)
    }

    @Test func weakPairsDescribeTheImagesObjects() throws {
        let folder = try Self.filteredSample()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var lines: [String] = []
        var figures: [String: (Double, Double, Double)] = [:]
        for (name, configure) in [("default", { (_: inout WeakPairOptions) in }),
                                  ("all images", { (o: inout WeakPairOptions) in o.allImages = true }),
                                  ("all, cross-page", { (o: inout WeakPairOptions) in o.allImages = true; o.excludeOwnPages = true }),
                                  ("all, tag word", { (o: inout WeakPairOptions) in o.allImages = true; o.requireTagWord = true })] as [(String, (inout WeakPairOptions) -> Void)] {
            let (summary, q) = try measure(folder, configure)
            let shape = Double(q.shape) / Double(max(q.pairs, 1)), both = Double(q.colourAndShape) / Double(max(q.pairs, 1))
            let about = Double(q.describes) / Double(max(q.pairs, 1))
            figures[name] = (shape, both, about)
            lines.append(String(format: "%-16@ %3d images (%d with truth), %3d pairs: a true object's shape %.2f, its colour and shape %.2f, written about this image %.2f",
                                name as NSString, summary.images, q.images, q.pairs, shape, both, about))
        }
        print(lines.joined(separator: "\n"))
        // Measured 2026-11-22: every weak pair names a true object's shape (1.00; the detector's
        // classes are shapes); colour and shape 0.31 / 0.29 (tags carry no colour); written about
        // this very image 0.14 / 0.13; cross-page 0.00 by construction (those sentences sit on the
        // image's own page). Floors a little below.
        #expect(figures["default"]!.0 >= 0.95 && figures["all images"]!.0 >= 0.95)
        #expect(figures["default"]!.1 >= 0.25 && figures["all images"]!.1 >= 0.25)
        #expect(figures["default"]!.2 >= 0.10)
        #expect(figures["all, cross-page"]!.2 == 0, "a sentence of the image's own page was used")
    }
}
