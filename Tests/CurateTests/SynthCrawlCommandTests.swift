import Foundation
import Testing
import TestSupport

@Suite struct SynthCrawlCommandTests {
    @Test func writesASmallCrawl() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("curate-synth-cmd-\(UUID().uuidString)").path
        let result = try Curate.run(["synth-crawl", "--pages", "4", "--seed", "9", "--out", folder])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("wrote \(folder)/crawl.warc.gz: 4 pages"))
        for name in ["crawl.warc.gz", "truth.jsonl", "detections.jsonl", "mirror/www.shapes-gallery.example/index.html"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/" + name), "\(name)")
        }
        // Running it again replaces the output rather than adding to it.
        let again = try Curate.run(["synth-crawl", "--pages", "4", "--seed", "9", "--out", folder])
        #expect(again.stdout == result.stdout)
    }

    @Test func badSizeIsAOneLineError() throws {
        let result = try Curate.run(["synth-crawl", "--size", "huge", "--out", "/tmp/x"])
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n") == ["Error: --size must be sample, demo or bench, got huge"])
    }
}

/// A killed synth-crawl leaves no partial output under a final name; a re-run completes it.
@Suite(.serialized) struct SynthCrawlKillTests {
    @Test func killedRunsLeaveNoPartialOutputs() throws {
        let out = NSTemporaryDirectory() + "curate-synth-kill-\(getpid())"
        try? FileManager.default.removeItem(atPath: out)
        defer { try? FileManager.default.removeItem(atPath: out) }
        let args = ["synth-crawl", "--size", "demo", "--pages", "40", "--out", out]
        // Killed after its 20th page (a fault point each), then at a random moment.
        #expect(try Curate.killAtFaultPoints(args, [20]) == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).contains { $0.hasPrefix(".curate-tmp-") }, "the dead run's temporaries")
        try Curate.killRepeatedly(args, times: 1, delay: 300_000...400_000)
        for name in ["crawl.warc.gz", "truth.jsonl", "detections.jsonl"] {
            #expect(!FileManager.default.fileExists(atPath: out + "/" + name), "\(name) exists after a kill")
        }
        #expect(try Curate.run(args).status == 0)
        let names = try FileManager.default.contentsOfDirectory(atPath: out)
        #expect(names.contains("crawl.warc.gz") && names.contains("truth.jsonl") && !names.contains { $0.hasPrefix(".curate-tmp-") })
    }
}
