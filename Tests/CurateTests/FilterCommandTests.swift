import Catalog
import Foundation
import Testing
import TestSupport

/// `curate filter` end to end on the sample crawl.
@Suite(.serialized) struct FilterCommandTests {
    /// A work folder with the sample's catalog (crawl-dump run once per folder).
    static func crawled(_ name: String) throws -> String {
        let work = NSTemporaryDirectory() + "curate-filter-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: work)
        let result = try Curate.run(["crawl-dump", "samples/crawl.warc.gz", "--work", work])
        #expect(result.status == 0, "\(result.stderr)")
        return work
    }

    static func decisions(_ work: String) throws -> [String] {
        try SQLiteDatabase(path: work + "/catalog.sqlite").query("SELECT item, id, rule, detail FROM filter_decisions ORDER BY item, id").map { "\($0)" }
    }

    @Test func filtersPrintsTheRulesAndTheTableAndExplains() throws {
        let work = try Self.crawled("main")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let result = try Curate.run(["filter", "--work", work, "--eval-images", "samples/eval"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("[[rule]]\nname = \"image_too_small\"\ncheck = \"min_shorter_side\""))
        #expect(result.stdout.contains("kept 77 of 119 images and 69 of 176 pairs"), "\(result.stdout)")
        #expect(result.lines.contains { $0.hasPrefix("eval_near_duplicate") })
        let listed = try String(contentsOfFile: work + "/decontamination.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(listed.count == 7 && listed.allSatisfy { $0.contains("\"eval\":\"samples/eval/eval-") })
        // The run and its rules are stored.
        let db = try SQLiteDatabase(path: work + "/catalog.sqlite")
        let run = try db.query("SELECT options FROM runs WHERE command = 'filter'")
        #expect(run.count == 1 && "\(run[0][0])".contains("max_distance = 8"))
        let explained = try Curate.run(["filter", "--work", work, "--explain", "http://www.shapes-gallery.example/static/logo.png"])
        #expect(explained.stdout.contains("decision: dropped by image_too_small: shorter side 60 px, not above 200"), "\(explained.stdout)")
        let dry = try Curate.run(["filter", "--work", work, "--dry-run", "--set", "image_too_small.enabled=false"])
        #expect(dry.status == 0 && dry.stdout.contains("dry run: nothing written"))
        #expect(try db.query("SELECT count(*) FROM filter_decisions WHERE rule = 'image_too_small'")[0][0] != .integer(0))
    }

    @Test func mistakesAreOneLineErrors() throws {
        let work = try Self.crawled("errors")
        defer { try? FileManager.default.removeItem(atPath: work) }
        for (arguments, words) in [(["--set", "image_too_small.min_side=big"], "must be like"), (["--set", "nope.x=1"], "no rule named nope"),
                                   (["--rules", "/nonexistent.toml"], "cannot read the rule file"),
                                   (["--eval-images", "/nonexistent-eval"], "cannot use the eval image"),
                                   (["--explain", "image:999999"], "is not in the catalog")] {
            let result = try Curate.run(["filter", "--work", work] + arguments)
            #expect(result.status == 1 && result.stderr.contains(words), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
        }
        let none = try Curate.run(["filter", "--work", NSTemporaryDirectory() + "curate-no-work-\(getpid())"])
        #expect(none.status == 1 && none.stderr.contains("run curate crawl-dump first"))
    }

    /// Killed at chosen fault points and at a random moment (while hashing images or writing decisions), then re-run: the same
    /// decisions as an uninterrupted run; the hashes already cached are not computed again.
    @Test func killedRunsFinishWithTheSameDecisions() throws {
        let (clean, killed) = (try Self.crawled("clean"), try Self.crawled("killed"))
        defer { for w in [clean, killed] { try? FileManager.default.removeItem(atPath: w) } }
        let args = ["filter", "--eval-images", "samples/eval"]
        let (result, points) = try Curate.countingFaultPoints(args + ["--work", clean])
        #expect(result.status == 0 && points >= 6, "\(points) fault points")
        #expect(try Curate.killAtFaultPoints(args + ["--work", killed], [1, points * 4 / 10, points * 4 / 10]) >= 2)
        try Curate.killRepeatedly(args + ["--work", killed], times: 1, delay: 10_000...200_000)
        #expect(try Curate.run(args + ["--work", killed]).status == 0)
        #expect(try Self.decisions(killed) == Self.decisions(clean))
        #expect(try SQLiteDatabase(path: killed + "/catalog.sqlite").query("SELECT count(*) FROM image_features")
                == SQLiteDatabase(path: clean + "/catalog.sqlite").query("SELECT count(*) FROM image_features"))
    }
}
