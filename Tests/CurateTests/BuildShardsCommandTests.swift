import Catalog
import Foundation
import Testing
import TestSupport

/// `curate build-shards` end to end on the sample crawl: crawl-dump, filter, build-shards (which
/// runs weak-pairs itself).
@Suite(.serialized) struct BuildShardsCommandTests {
    static func filtered(_ name: String) throws -> String {
        let work = NSTemporaryDirectory() + "curate-shards-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: work)
        #expect(try Curate.run(["crawl-dump", "samples/crawl.warc.gz", "--work", work]).status == 0)
        #expect(try Curate.run(["filter", "--work", work, "--eval-images", "samples/eval"]).status == 0)
        return work
    }

    static func files(_ folder: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) { out[name] = FileManager.default.contents(atPath: folder + "/" + name) }
        return out
    }

    static let args = ["build-shards", "--shard-samples", "40", "--text-pairs", "0.25", "--detections", "samples/detections.jsonl"]

    @Test func shardsAreCompleteDeterministicAndResumable() throws {
        let (a, b, killed) = (try Self.filtered("a"), try Self.filtered("b"), try Self.filtered("killed"))
        defer { for w in [a, b, killed] { try? FileManager.default.removeItem(atPath: w) } }
        let (result, points) = try Curate.countingFaultPoints(Self.args + ["--work", a])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(points > 20, "build-shards passes a fault point per commit and file write")
        #expect(result.stdout.contains("weak pairs for 36 images"), "weak-pairs ran first: \(result.stdout)")
        #expect(try Curate.run(Self.args + ["--work", b]).status == 0)
        let shards = try Self.files(a + "/shards")
        #expect(try Self.files(b + "/shards") == shards, "the same catalog and seed give byte-identical shards")
        // Every full shard holds exactly the count; sizes.json agrees with the stats.
        let sizes = try JSONSerialization.jsonObject(with: shards["sizes.json"]!) as! [String: Int]
        for (name, count) in sizes where name.hasPrefix("train-") {
            let stats = try JSONSerialization.jsonObject(with: shards[name + ".stats.json"]!) as! [String: Any]
            #expect(stats["samples"] as? Int == count)
        }
        let trainCounts = sizes.filter { $0.key.hasPrefix("train-") }.sorted { $0.key < $1.key }.map(\.value)
        #expect(trainCounts.count >= 2 && trainCounts.dropLast().allSatisfy { $0 == 40 } && trainCounts.last! <= 40, "\(trainCounts)")
        // Killed early, in the middle and late (each rerun resumes, so 0.4 of a whole run's points
        // into the second and third reruns land near 0.5 and 0.9 of the job), once at a random
        // moment, with a dead run's temporary file planted beside the shards: the same bytes, and
        // no temporary file left.
        let kills = try Curate.killAtFaultPoints(Self.args + ["--work", killed], [points / 10, points * 4 / 10, points * 4 / 10])
        #expect(kills == 3, "every chosen fault point is reached")
        try Curate.killRepeatedly(Self.args + ["--work", killed], times: 1, delay: 200_000...1_500_000)
        let stale = killed + "/shards/.curate-tmp-999999-val-000000.tar"
        FileManager.default.createFile(atPath: stale, contents: Data("a dead run's partial shard".utf8))
        #expect(try Curate.run(Self.args + ["--work", killed]).status == 0)
        #expect(try Self.files(killed + "/shards") == shards, "a resumed run gives the same bytes and removes dead runs' temporaries")
        #expect(!FileManager.default.fileExists(atPath: stale))
        // Read back with the webdataset library, as open_clip reads them.
        let python = ProcessInfo.processInfo.environment["CURATE_TEST_PYTHON"] ?? "/tmp/curate-test-venv/bin/python3"
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: python)
        probe.arguments = ["-c", "import webdataset, PIL"]
        probe.standardError = FileHandle.nullDevice
        guard FileManager.default.isExecutableFile(atPath: python), (try? probe.run()) != nil, { probe.waitUntilExit(); return probe.terminationStatus == 0 }() else {
            print("skipped: reading shards with webdataset needs \(python) with webdataset and pillow (make setup installs them)")
            return
        }
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: python)
        reader.arguments = [SharedCorpus.repositoryRoot.path + "/Tests/Python/read_shards.py", a + "/shards"]
        let pipe = Pipe()
        reader.standardOutput = pipe
        try reader.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        reader.waitUntilExit()
        #expect(reader.terminationStatus == 0)
        let read = try JSONSerialization.jsonObject(with: output) as! [String: Any]
        let train = read["train"] as! [String: Any], val = read["val"] as! [String: Any]
        #expect(train["samples"] as? Int == sizes.filter { $0.key.hasPrefix("train-") }.values.reduce(0, +))
        #expect(val["samples"] as? Int == sizes.filter { $0.key.hasPrefix("val-") }.values.reduce(0, +))
        #expect(Set(train["images"] as! [String]).isDisjoint(with: val["images"] as! [String]), "an image in both splits")
        #expect((train["shapes"] as! [String]).allSatisfy { $0.hasPrefix("(256, (224, 224), 'L')") }, "\(train["shapes"]!)")
        #expect((read["textpairs"] as! [String: Any])["samples"] as? Int ?? 0 > 0)
    }

    @Test func mistakesAreOneLineErrors() throws {
        let missing = NSTemporaryDirectory() + "curate-none-\(getpid())"
        let none = try Curate.run(["build-shards", "--work", missing])
        #expect(none.status == 1 && none.stderr.contains("run curate crawl-dump first"))
        #expect(!FileManager.default.fileExists(atPath: missing), "no folder is made for a missing work folder")
        let bad = try Curate.run(["build-shards", "--resize", "huge"])
        #expect(bad.status == 1 && bad.stderr.contains("--resize must be") && bad.stderr.split(separator: "\n").count == 1)
    }
}
