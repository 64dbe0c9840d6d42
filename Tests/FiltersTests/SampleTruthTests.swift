import Catalog
import Crawl
import Foundation
import Testing
import TestSupport
@testable import Filters

/// The sample crawl's catalog, built once per test process by crawl-dump from samples/crawl.warc.gz.
enum SampleCatalog {
    static let root = SharedCorpus.repositoryRoot.path

    /// A fresh copy of the sample catalog in its own folder (tests that write decisions get their own).
    static func fresh() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("curate-filter-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: built + "/catalog.sqlite", toPath: folder + "/catalog.sqlite")
        return folder
    }

    static let built: String = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("curate-filter-sample-\(getpid())").path
        try? FileManager.default.removeItem(atPath: folder)
        _ = try! CrawlDump(options: CrawlOptions(inputs: [root + "/samples/crawl.warc.gz"], workDirectory: folder)).run()
        // Fold the write-ahead log into the file, so that copying the file copies the catalog.
        try! SQLiteDatabase(path: folder + "/catalog.sqlite").execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return folder
    }()

    static let readImage = StoredPayload.reader

    static func rules(_ overrides: [String] = []) throws -> RuleSet {
        var rules = try RuleSet.load(path: root + "/Sources/Filters/Rules/align.toml")
        for o in overrides { try rules.override(o) }
        return rules
    }

    static func run(_ overrides: [String] = [], eval: Bool = true, dryRun: Bool = false, work: String? = nil) throws -> (FilterReport, String) {
        let folder = try work ?? fresh()
        var options = FilterOptions(workDirectory: folder, rules: try rules(overrides))
        if eval { options.evalPaths = [root + "/samples/eval"] }
        options.dryRun = dryRun
        return (try Filter(options: options, readImage: readImage).run(), folder)
    }
}

/// samples/truth.jsonl, as the filter measurement needs it.
struct SampleTruth {
    var imageKind: [String: String] = [:]           // image URL → kind
    var imageOf: [String: String] = [:]             // duplicate / near-duplicate URL → its original
    var evalTargets: Set<String> = []               // content URLs that an eval image copies
    var altStyle: [String: String] = [:]            // "page URL\nalt" → alt style

    init() {
        let text = try! String(contentsOfFile: SampleCatalog.root + "/samples/truth.jsonl", encoding: .utf8)
        for line in text.split(separator: "\n") {
            let o = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            switch o["type"] as? String {
            case "image":
                imageKind[o["url"] as! String] = o["kind"] as? String
                if let of = o["of"] as? String { imageOf[o["url"] as! String] = of }
            case "eval":
                if let of = o["near_duplicate_of"] as? String { evalTargets.insert(of) }
            case "reference":
                if let alt = o["alt"] as? String, let page = o["page"] as? String { altStyle[page + "\n" + alt] = o["alt_style"] as? String }
            default: break
            }
        }
    }
}

/// Each rule's precision and recall against the generator's ground truth, printed; the floors
/// are set a little under what was measured (see the note in the test).
@Suite(.serialized) struct SampleTruthTests {
    struct Decisions {
        var imageRule: [Int64: String] = [:], imageDetail: [Int64: String] = [:]
        var pairRule: [Int64: String] = [:]
        var urlImage: [String: Int64] = [:]
        var pairs: [(id: Int64, page: String, text: String, image: Int64)] = []
    }

    func decisions(_ folder: String) throws -> Decisions {
        let db = try SQLiteDatabase(path: folder + "/catalog.sqlite")
        var d = Decisions()
        try db.forEach("SELECT item, id, rule, detail FROM filter_decisions") { row in
            if row.text(0) == "image" { d.imageRule[row.integer(1)] = row.text(2); d.imageDetail[row.integer(1)] = row.text(3) }
            else { d.pairRule[row.integer(1)] = row.text(2) }
        }
        try db.forEach("SELECT url, image_id FROM image_urls") { d.urlImage[$0.text(0)!] = $0.integer(1) }
        try db.forEach("SELECT id, url FROM images") { row in if let url = row.text(1) { d.urlImage[url] = d.urlImage[url] ?? row.integer(0) } }
        try db.forEach("SELECT p.id, g.url, p.text, p.image_id FROM pairs p JOIN pages g ON g.id = p.page_id WHERE p.text_source = 'alt'") {
            d.pairs.append(($0.integer(0), $0.text(1)!, $0.text(2)!, $0.integer(3)))
        }
        return d
    }

    static func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 1 : Double(a) / Double(b) }

    @Test func eachRuleAgainstTheGroundTruth() throws {
        let (report, folder) = try SampleCatalog.run()
        print(report.table)
        let d = try decisions(folder)
        let truth = SampleTruth()
        var lines: [String] = []
        func line(_ name: String, _ p: (Int, Int), _ r: (Int, Int)) -> (Double, Double) {
            let precision = Self.ratio(p.0, p.1), recall = Self.ratio(r.0, r.1)
            lines.append(String(format: "%-30@ precision %3d/%-3d = %.2f   recall %3d/%-3d = %.2f", name as NSString, p.0, p.1, precision, r.0, r.1, recall))
            return (precision, recall)
        }
        func kind(_ image: Int64) -> Set<String> {
            Set(d.urlImage.filter { $0.value == image }.compactMap { truth.imageKind[$0.key] })
        }
        // Site furniture and small images: dropped by the size and aspect rules.
        let junkKinds: Set<String> = ["logo", "icon", "spacer", "tracking", "thumbnail", "banner"]
        let junkImages = Set(d.urlImage.filter { junkKinds.contains(truth.imageKind[$0.key] ?? "") }.map(\.value))
        let bySize = Set(d.imageRule.filter { ["image_too_small", "image_aspect_ratio"].contains($0.value) }.map(\.key))
        // A near-duplicate made at 75% size is rightly too small as well.
        let size = line("image_too_small+aspect_ratio", (bySize.filter { !kind($0).isDisjoint(with: junkKinds.union(["near_duplicate"])) }.count, bySize.count),
                        (junkImages.filter { d.imageRule[$0] != nil }.count, junkImages.count))
        // Exact duplicates: the copy's URL points at the original's image.
        let duplicates = truth.imageKind.filter { $0.value == "duplicate" }.map(\.key)
        let merged = duplicates.filter { url in d.urlImage[url] != nil && d.urlImage[url] == truth.imageOf[url].flatMap { d.urlImage[$0] } }
        let exact = line("image_exact_duplicate (merged)", (merged.count, merged.count), (merged.count, duplicates.filter { d.urlImage[$0] != nil }.count))
        // Near-duplicates: a drop is right when the dropped and the kept image are related in the truth.
        func related(_ a: Int64, _ b: Int64) -> Bool {
            let urlsA = d.urlImage.filter { $0.value == a }.map(\.key), urlsB = d.urlImage.filter { $0.value == b }.map(\.key)
            func root(_ url: String) -> String { truth.imageOf[url] ?? url }
            return urlsA.contains { ua in urlsB.contains { ub in root(ua) == root(ub) || root(ua) == ub || ua == root(ub) } }
        }
        let nearDrops = d.imageRule.filter { $0.value == "image_near_duplicate" }.map(\.key)
        let nearRight = nearDrops.filter { id in
            let kept = d.imageDetail[id].flatMap { $0.split(separator: " ").dropFirst(3).first }.flatMap { Int64($0) } ?? -1
            return related(id, kept)
        }
        let nearPairs = truth.imageKind.filter { $0.value == "near_duplicate" }.map(\.key).compactMap { url -> (Int64, Int64)? in
            guard let a = d.urlImage[url], let of = truth.imageOf[url], let b = d.urlImage[of] else { return nil }
            return (a, b)
        }
        let resolved = nearPairs.filter { d.imageRule[$0.0] != nil || d.imageRule[$0.1] != nil }
        let near = line("image_near_duplicate", (nearRight.count, nearDrops.count), (resolved.count, nearPairs.count))
        // Eval contamination: every content image an eval image copies is dropped.
        let evalDrops = d.imageRule.filter { $0.value == "eval_near_duplicate" }.map(\.key)
        let evalTargets = Set(truth.evalTargets.compactMap { d.urlImage[$0] })
        let evalRight = evalDrops.filter { id in evalTargets.contains { related(id, $0) || $0 == id } }
        let eval = line("eval_near_duplicate", (evalRight.count, evalDrops.count), (evalTargets.filter { d.imageRule[$0] != nil }.count, evalTargets.count))
        // Text rules: junk alt texts dropped, good ones kept (unless their image went).
        let junkStyles: Set<String> = ["generic", "filename", "dimensions", "click_here", "photo", "image"]
        let goodStyles: Set<String> = ["description", "non_english", "prefixed", "long", "short"]
        let textRules: Set<String> = ["text_shared_by_many_images", "text_rare_token", "text_too_short", "text_too_long", "text_boilerplate"]
        var junkPairs = 0, junkDropped = 0, textDrops = 0, textDropsJunk = 0, goodPairs = 0, goodKept = 0
        for pair in d.pairs where d.imageRule[pair.image] == nil {
            let style = truth.altStyle[pair.page + "\n" + pair.text] ?? ""
            let rule = d.pairRule[pair.id]
            if junkStyles.contains(style) { junkPairs += 1; if rule != nil { junkDropped += 1 } }
            if goodStyles.contains(style) { goodPairs += 1; if rule == nil { goodKept += 1 } }
            if let rule, textRules.contains(rule) { textDrops += 1; if junkStyles.contains(style) || style == "typo" { textDropsJunk += 1 } }
        }
        let text = line("text rules (junk alt texts)", (textDropsJunk, textDrops), (junkDropped, junkPairs))
        lines.append(String(format: "good alt texts of kept images kept: %d/%d = %.2f", goodKept, goodPairs, Self.ratio(goodKept, goodPairs)))
        print(lines.joined(separator: "\n"))
        // Floors, from the measured figures (2026-11-22), a little below them.
        // Measured: size 1.00/1.00, exact 1.00/1.00, near 1.00/1.00, eval 1.00/1.00 (every target,
        // listed even when a near-duplicate rule took it first), text 0.72/1.00, good kept 0.83.
        // Before the colour signature confirmed pHash matches, near and eval were 0.88 and 0.86:
        // pHash collisions of simple synthetic shapes (distance 2-6). The text misses are ALIGN's
        // own rules dropping 2-word alts ("pink circle"): left as measured.
        #expect(size.0 >= 1.0 && size.1 >= 1.0, "size rules")
        #expect(exact.1 >= 1.0, "exact duplicates merged")
        #expect(near.0 >= 0.95 && near.1 >= 1.0, "near duplicates")
        #expect(eval.0 >= 0.95 && eval.1 >= 1.0, "eval decontamination")
        #expect(text.0 >= 0.65 && text.1 >= 1.0, "text rules")
        #expect(Self.ratio(goodKept, goodPairs) >= 0.8, "good alt texts kept")
        // Every eval target is listed in the decontamination report, whichever rule dropped it.
        let listed = try SQLiteDatabase(path: folder + "/catalog.sqlite").query("SELECT DISTINCT image_id FROM decontamination")
            .compactMap { row -> Int64? in if case .integer(let v) = row[0] { v } else { nil } }
        #expect(evalTargets.isSubset(of: Set(listed)), "eval targets missing from the report")
    }
}
