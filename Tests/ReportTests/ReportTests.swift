import Catalog
import CurateCore
import Crawl
import Filters
import Foundation
import Imaging
import Testing
import TestSupport
@testable import Report

/// The report's markup helpers.
struct HTMLTests {
    @Test func escapesWhatHTMLGivesMeaningTo() {
        #expect(HTML.escape(#"<img src="x" alt='a & b'>"#) == "&lt;img src=&quot;x&quot; alt=&#39;a &amp; b&#39;&gt;")
        #expect(HTML.escape("plain µ-VLA ✓") == "plain µ-VLA ✓")
    }

    @Test func groupsThousands() {
        #expect(HTML.number(0) == "0" && HTML.number(999) == "999" && HTML.number(1000) == "1,000")
        #expect(HTML.number(1_234_567) == "1,234,567" && HTML.number(-45_000) == "-45,000")
    }

    @Test func chartsPlotInsideTheirFrame() throws {
        #expect(HTML.chart(title: "empty", series: [("a", "#000", [])]) == "")
        let svg = HTML.chart(title: "loss", series: [("a", "#111", [(1, 5), (2, 3), (3, 4)]), ("b", "#222", [(1, 4), (3, 2)])])
        #expect(svg.components(separatedBy: "<polyline").count == 3 && svg.contains(">loss</text>"))
        // Every plotted coordinate lies in the frame (x 52…428, y 26…190 for a 440×220 chart).
        for points in svg.components(separatedBy: "points=\"").dropFirst() {
            for pair in points.prefix { $0 != "\"" }.split(separator: " ") {
                let xy = pair.split(separator: ",").compactMap { Double($0) }
                #expect(xy.count == 2 && (52...428).contains(xy[0]) && (26...190).contains(xy[1]), "\(pair)")
            }
        }
        #expect(HTML.chart(title: "one", series: [("one", "#333", [(5, 1)])]).contains("<circle"), "a single point is drawn as a dot")
    }
}

/// Thumbnails beside the page.
struct AssetsTests {
    @Test func thumbnailsShrinkNeverEnlargeAndSkipWhatDoesNotDecode() throws {
        let folder = NSTemporaryDirectory() + "curate-assets-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let assets = try Assets(folder: folder)
        let large = try TestImages.photo(width: 640, height: 320, seed: 1).encoded(.png)
        let small = try TestImages.photo(width: 40, height: 30, seed: 2).encoded(.jpeg(quality: 90))
        let path = try #require(assets.thumbnail(large, name: "large"))
        let thumbnail = try ImageProbe.probe([UInt8](FileManager.default.contents(atPath: folder + "/" + path)!))
        #expect(path == "images/large.jpg" && thumbnail.width == 160 && thumbnail.height == 80)
        let kept = try ImageProbe.probe([UInt8](FileManager.default.contents(atPath: folder + "/" + assets.thumbnail(small, name: "small")!)!))
        #expect(kept.width == 40 && kept.height == 30, "small images keep their size")
        #expect(assets.thumbnail(Array(large.prefix(100)), name: "cut") == nil, "a cut image gives no thumbnail")
        #expect(assets.thumbnail([1, 2, 3], name: "junk") == nil)
        #expect(!FileManager.default.fileExists(atPath: folder + "/images/junk.jpg"))
        #expect(assets.thumbnail(large, name: "large") == path && assets.count == 2, "each file is written once")
    }
}

/// The report on the sample crawl as its stages run, through the libraries.
@Suite(.serialized) struct ReportOnSampleTests {
    static let root = SharedCorpus.repositoryRoot.path

    static func work() throws -> String {
        let folder = NSTemporaryDirectory() + "curate-report-\(UUID().uuidString)"
        _ = try CrawlDump(options: CrawlOptions(inputs: [root + "/samples/crawl.warc.gz"], workDirectory: folder)).run()
        return folder
    }

    static func report(_ work: String, examples: Int = 4, truth: String? = nil, retriever: Retriever? = nil, read: StoredImageReader? = nil) throws -> (ReportSummary, String) {
        var options = ReportOptions()
        options.work = work
        options.examples = examples
        options.truth = truth
        let summary = try Report(options: options, readImage: read ?? StoredPayload.reader, retriever: retriever).run()
        return (summary, try String(contentsOfFile: summary.page, encoding: .utf8))
    }

    /// The `src` attributes of a page.
    static func sources(_ page: String) -> [String] {
        page.components(separatedBy: " src=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
    }

    @Test func eachStageAddsItsSections() throws {
        let work = try Self.work()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let (crawled, page) = try Self.report(work)
        #expect(crawled.sectionsRun == ["Runs", "Funnel: crawl to shards"])
        #expect(page.contains("<td>filter</td><td><span class=\"notrun\">not run</span>"), "the funnel says filter has not run")

        var options = FilterOptions(workDirectory: work, rules: try RuleSet.load(path: Self.root + "/Sources/Filters/Rules/align.toml"))
        options.evalPaths = [Self.root + "/samples/eval"]
        let filtered = try Filter(options: options, readImage: StoredPayload.reader).run()
        let (summary, report) = try Self.report(work)
        #expect(summary.sectionsRun == ["Runs", "Funnel: crawl to shards", "Drops, rule by rule", "Languages and MetaCLIP balancing", "Eval decontamination"])
        #expect(summary.warnings.isEmpty, "\(summary.warnings)")
        // Every rule that dropped something has its grid, at most `examples` cards, in the run's order.
        let dropping = filtered.rows.filter { $0.droppedImages + $0.droppedPairs > 0 }.map(\.rule)
        let headings = report.components(separatedBy: "<h3 id=\"drop-").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(headings == dropping)
        for grid in report.components(separatedBy: "<h3 id=\"drop-").dropFirst() {
            let cards = grid.components(separatedBy: "<h3")[0].components(separatedBy: "</section>")[0].components(separatedBy: "class=\"card\"").count - 1
            #expect((1...4).contains(cards), "\(grid.prefix(60)): \(cards) cards")
        }
        // A near-duplicate is shown beside what it is near: the image kept, or the eval image.
        for rule in ["image_near_duplicate", "eval_near_duplicate"] {
            let grid = try #require(report.components(separatedBy: "<h3 id=\"drop-\(rule)\"").dropFirst().first).components(separatedBy: "<h3")[0]
            let cards = grid.components(separatedBy: "<div class=\"card\"><div class=\"pair\">").count - 1
            #expect(cards == grid.components(separatedBy: "class=\"card\"").count - 1 && cards > 0, "\(rule): every card is a pair")
            #expect(rule == "image_near_duplicate" || grid.contains("src=\"images/e0.jpg\""), "the eval image is shown")
        }
        // The funnel's last filter line agrees with the run.
        #expect(report.contains("−\(filtered.rows.last!.droppedPairs) → \(HTML.number(filtered.rows.last!.pairsLeft))"))
        // Every image the page shows is a file beside it.
        let folder = (summary.page as NSString).deletingLastPathComponent
        let sources = Self.sources(report)
        #expect(sources.count > 20)
        for source in sources { #expect(FileManager.default.fileExists(atPath: folder + "/" + source), "\(source)") }
    }

    @Test func unreadableDumpsAndModelsAreShownNotFatal() throws {
        let work = try Self.work()
        defer { try? FileManager.default.removeItem(atPath: work) }
        var options = FilterOptions(workDirectory: work, rules: try RuleSet.load(path: Self.root + "/Sources/Filters/Rules/align.toml"))
        options.evalPaths = [Self.root + "/samples/eval"]
        _ = try Filter(options: options, readImage: StoredPayload.reader).run()
        // The dump has moved away since the crawl: every thumbnail becomes a box saying so.
        struct Gone: Error {}
        let (summary, page) = try Self.report(work, read: { _ in throw Gone() })
        #expect(Self.sources(page).filter { $0.hasPrefix("images/i") }.isEmpty)
        #expect(page.contains("bytes not readable (unreadable)") && summary.sectionsRun.contains("Drops, rule by rule"))

        // A checkpoint the retriever cannot use: the section says why, the report is written.
        try FileManager.default.createDirectory(atPath: work + "/model", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: work + "/model/step-000000001.safetensors", contents: Data([1, 2, 3]))
        struct Broken: Error, CustomStringConvertible { var description: String { "header is cut short" } }
        let (broken, brokenPage) = try Self.report(work, retriever: { _, _, _, _, _, _ in throw Broken() })
        #expect(broken.sectionsNotRun.contains("Retrieval with the trained model") && broken.warnings.count == 1)
        #expect(brokenPage.contains("could not be used: header is cut short"))

        // Results from a retriever: the query's own image is framed, its rank stated.
        let image = try TestImages.photo(width: 64, height: 64, seed: 3).encoded(.jpeg(quality: 90))
        let results = RetrievalResults(recalls: [.init(name: "all val pairs", recall: Recall(count: 2, images: 2, imageToText: [0.5, 1, 1], textToImage: [1, 1, 1],
                                                                                          imageToTextChance: [0.5, 1, 1], textToImageChance: [0.5, 1, 1]))],
                                       examples: [.init(query: "a red <circle>", expectedKey: "v2", hits: [.init(key: "v1", caption: "one", score: 0.9, image: image),
                                                                                                         .init(key: "v2", caption: "two", score: 0.8, image: image)])])
        var withSearch = results
        withSearch.shapeSearch = .init(mean: 0.875, colours: 2, shapes: 1, images: 3, queries: [.init(query: "a red circle", relevant: 2, precision: 1),
                                                                                           .init(query: "a large blue circle", relevant: 1, precision: 0.75)])
        let (_, retrieved) = try Self.report(work, retriever: { checkpoint, _, _, _, _, truth in
            #expect(checkpoint.hasSuffix("model/step-000000001.safetensors"))
            return truth == nil ? results : withSearch
        })
        #expect(!retrieved.contains("Colour-and-shape search"), "no section without --truth")
        let (_, judged) = try Self.report(work, truth: "crawl/truth.jsonl", retriever: { _, _, _, _, _, truth in
            #expect(truth == "crawl/truth.jsonl")
            return withSearch
        })
        #expect(judged.contains("Colour-and-shape search: 0.875") && judged.contains("<code>crawl/truth.jsonl</code>") && judged.contains("a large blue circle"))
        #expect(retrieved.contains("“a red &lt;circle&gt;” <span class=\"muted\">(its image ranked 2)"))
        #expect(retrieved.components(separatedBy: "class=\" hit\"").count == 2, "one framed image")
        #expect(retrieved.contains("Recall over all val pairs (2 of 2 images)"))
    }

    /// The real WARCs of ../shared/corpus (truncated and malformed ones among them) through
    /// crawl-dump and filter (the corpus's valid and corrupt images as the eval set): the report
    /// shows the skips, and every image it refers to is a file beside it.
    @Test(.enabled(if: SharedCorpus.isAvailable)) func reportOfTheRealCorpus() throws {
        let corpus = try #require(SharedCorpus.root).path
        let work = NSTemporaryDirectory() + "curate-report-corpus-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: work) }
        _ = try CrawlDump(options: CrawlOptions(inputs: [corpus + "/warc"], workDirectory: work)).run()
        var options = FilterOptions(workDirectory: work, rules: try RuleSet.load(path: Self.root + "/Sources/Filters/Rules/align.toml"))
        options.evalPaths = [corpus + "/images/valid", corpus + "/images/corrupt"]
        _ = try Filter(options: options, readImage: StoredPayload.reader).run()
        let (summary, page) = try Self.report(work, examples: 6)
        #expect(summary.sectionsRun == ["Runs", "Funnel: crawl to shards", "Drops, rule by rule", "Languages and MetaCLIP balancing", "Eval decontamination"], "\(summary.sectionsRun)")
        #expect(summary.warnings.isEmpty, "\(summary.warnings)")
        let reasons = try SQLiteDatabase(path: work + "/catalog.sqlite").query("SELECT DISTINCT reason FROM skips").compactMap { row -> String? in
            if case .text(let reason) = row[0] { return reason }
            return nil
        }
        #expect(!reasons.isEmpty, "the corpus has records crawl-dump skips")
        for reason in reasons { #expect(page.contains("skipped record: <code>\(reason)</code>"), "the funnel shows the skips: \(reason)") }
        let folder = (summary.page as NSString).deletingLastPathComponent
        for source in Self.sources(page) { #expect(FileManager.default.fileExists(atPath: folder + "/" + source), "\(source)") }
    }
}
