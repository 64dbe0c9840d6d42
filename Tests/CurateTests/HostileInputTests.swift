import Catalog
import Foundation
import Testing
import TestSupport

/// Hostile input, each case inside a WARC followed by a good page (or a hostile rules file,
/// detections file, checkpoint or shard): a counted skip or a one-line error, in bounded time
/// and memory (`/usr/bin/time -v`: wall time and peak resident memory of the curate process),
/// and the good page after it still catalogued. Limits: well under 1 GB, and 60 s in this debug
/// build (a hang is minutes; README's reliability section has the release build's figures).
@Suite(.serialized) struct HostileInputTests {
    static let memoryLimitKB = 1_000_000
    static let secondsLimit = 60.0

    struct Measured {
        var result: CommandResult
        var peakKB: Int
        var seconds: Double
    }

    /// Runs curate under `/usr/bin/time -v`; nil (with a note) where that tool is missing.
    static func measured(_ arguments: [String]) throws -> Measured? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/time") else {
            print("skipped: /usr/bin/time is missing (make setup installs Debian's time package)")
            return nil
        }
        let report = NSTemporaryDirectory() + "curate-time-\(getpid())-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: report) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        process.arguments = ["-v", "-o", report, Curate.executable.path] + arguments
        process.currentDirectoryURL = SharedCorpus.repositoryRoot
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError, process.standardInput) = (out, err, FileHandle.nullDevice)
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = try String(contentsOfFile: report, encoding: .utf8)
        func field(_ name: String) -> String? {
            text.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(name) }.map { String($0.split(separator: ": ").last!) }
        }
        let clock = (field("Elapsed (wall clock) time") ?? "0").split(separator: ":").compactMap { Double($0) }.reduce(0) { $0 * 60 + $1 }
        let result = CommandResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
        return Measured(result: result, peakKB: Int(field("Maximum resident set size (kbytes)") ?? "0") ?? 0, seconds: clock)
    }

    static func scratch(_ name: String) -> String {
        let folder = NSTemporaryDirectory() + "curate-hostile-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: folder)
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// crawl-dump of `members` (each a gzip member, or plain bytes when `gzip` is false) then the
    /// good page: bounded, the good page catalogued; returns the skips' reasons.
    static func crawl(_ name: String, _ members: [[UInt8]], gzip: Bool = true, then: ((String) throws -> Void)? = nil,
                      sourceLine: SourceLocation = #_sourceLocation) throws -> [String] {
        let folder = scratch(name)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let warc = folder + (gzip ? "/hostile.warc.gz" : "/hostile.warc")
        let good = gzip ? HostileWARC.gzip(HostileWARC.goodPage) : HostileWARC.goodPage
        FileManager.default.createFile(atPath: warc, contents: Data(members.joined() + good))
        guard let run = try measured(["crawl-dump", warc, "--work", folder + "/work"]) else { return [] }
        print("hostile \(name): exit \(run.result.status), \(String(format: "%.1f", run.seconds)) s, peak \(run.peakKB / 1024) MB")
        #expect(run.result.status == 0, "\(name): \(run.result.stderr)", sourceLocation: sourceLine)
        #expect(run.peakKB < memoryLimitKB, "\(name): peak \(run.peakKB) kB", sourceLocation: sourceLine)
        #expect(run.seconds < secondsLimit, "\(name): \(run.seconds) s", sourceLocation: sourceLine)
        let db = try SQLiteDatabase(path: folder + "/work/catalog.sqlite")
        let pages = try db.query("SELECT count(*) FROM pages WHERE url = ?", [.text(HostileWARC.goodURL)])
        #expect(pages == [[.integer(1)]], "\(name): the good page after it is catalogued", sourceLocation: sourceLine)
        let alt = try db.query("SELECT count(*) FROM refs WHERE alt = ?", [.text(HostileWARC.goodAlt)])
        #expect(alt == [[.integer(1)]], "\(name): and its image reference", sourceLocation: sourceLine)
        try then?(folder + "/work")
        return try db.query("SELECT reason FROM skips ORDER BY offset").map { if case .text(let r) = $0[0] { r } else { "" } }
    }

    @Test func gzipBombs() throws {
        // A WARC member that inflates to 3 GiB, declared as one huge record.
        let declared = HostileWARC.record("response", uri: "http://bomb.example/", block: [], contentLength: String(3 << 30))
        let declaredMember = HostileWARC.bomb(prefix: Array(declared.dropLast(4)), zeroMegabytes: 3 << 10)
        #expect(try Self.crawl("bomb-declared", [declaredMember]) == ["record_too_large"])
        // A small record, then 3 GiB of zeros in the same member (no record header in them).
        let small = HostileWARC.page("http://bomb.example/small", "<p>small</p>")
        let undeclared = try Self.crawl("bomb-undeclared", [HostileWARC.bomb(prefix: small, zeroMegabytes: 3 << 10)])
        #expect(undeclared == ["malformed_warc_header"], "\(undeclared)")
        // An HTTP body with Content-Encoding: gzip that inflates to 2 GiB.
        let body = HostileWARC.bomb(prefix: Array("<html><body>".utf8), zeroMegabytes: 2 << 10)
        let http = HostileWARC.record("response", uri: "http://bomb.example/body", block: HostileWARC.http("text/html", body, fields: ["Content-Encoding: gzip"]))
        #expect(try Self.crawl("bomb-http", [HostileWARC.gzip(http)]) == ["bad_content_encoding"])
    }

    @Test func hugeAndDeepHTML() throws {
        let nested = String(repeating: "<div>", count: 200_000) + "<img src=/deep.png alt=deep>" + String(repeating: "</div>", count: 200_000)
        #expect(try Self.crawl("nested", [HostileWARC.gzip(HostileWARC.page("http://deep.example/", nested))]) == [])
        let attribute = "<img src=/long.png alt=\"" + String(repeating: "a", count: 40 << 20) + "\"><p>after the long attribute</p>"
        #expect(try Self.crawl("attribute", [HostileWARC.gzip(HostileWARC.page("http://long.example/", attribute))]) == [])
        let images = (0..<100_000).map { "<img src=/i/\($0).png alt=\"image \($0)\">" }.joined()
        #expect(try Self.crawl("images", [HostileWARC.gzip(HostileWARC.page("http://many.example/", images))]) == [])
        let angles = String(repeating: "<", count: 30 << 20)
        #expect(try Self.crawl("angles", [HostileWARC.gzip(HostileWARC.page("http://angles.example/", angles))]) == [])
    }

    @Test func lyingHeadersAndTruncation() throws {
        let block = HostileWARC.http("text/html", Array("<p>a page with a lying length</p>".utf8))
        let lies = ["100000000000000000000", "-5", "abc"].map { HostileWARC.record("response", uri: "http://lies.example/", block: block, contentLength: $0) }
        #expect(try Self.crawl("content-length", lies.map(HostileWARC.gzip)) == ["malformed_warc_header", "malformed_warc_header", "malformed_warc_header"])
        #expect(try Self.crawl("content-length-plain", lies, gzip: false).allSatisfy { $0 == "malformed_warc_header" })
        // A PNG whose header claims 100,000 x 100,000 pixels.
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
        png += [0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0, 8, 2, 0, 0, 0, 0, 0, 0, 0] + Array(repeating: 0, count: 64)
        let image = HostileWARC.record("response", uri: "http://good.example/red.png", block: HostileWARC.http("image/png", png))
        // crawl-dump catalogues what the header says; filter drops it (image_undecodable: too_many_pixels) without
        // allocating its 30 GB of pixels.
        let pixels = try Self.crawl("pixels", [HostileWARC.gzip(image)]) { work in
            let db = try SQLiteDatabase(path: work + "/catalog.sqlite")
            #expect(try db.query("SELECT width, height FROM images") == [[.integer(100_000), .integer(100_000)]])
            guard let filter = try Self.measured(["filter", "--work", work]) else { return }
            print("hostile pixels, filter: exit \(filter.result.status), \(String(format: "%.1f", filter.seconds)) s, peak \(filter.peakKB / 1024) MB")
            #expect(filter.result.status == 0 && filter.peakKB < Self.memoryLimitKB && filter.seconds < Self.secondsLimit, "\(filter.result.stderr)")
            let drop = try db.query("SELECT rule, detail FROM filter_decisions WHERE item = 'image'")
            #expect(drop.count == 1 && drop[0][0] == .text("image_undecodable") && "\(drop[0][1])".contains("too_many_pixels"), "\(drop)")
        }
        #expect(pixels == [])
        // A record cut short inside its gzip member: the member ends 1,000 bytes into 5,000.
        let cut = Array(HostileWARC.record("response", uri: "http://cut.example/", block: HostileWARC.http("text/html", Array(repeating: 0x61, count: 5_000))).prefix(1_200))
        #expect(try Self.crawl("truncated-member", [HostileWARC.gzip(cut)]) == ["truncated"])
    }
}

/// The hostile files of the later stages: a rules file with wrong types, a detections file with a
/// million detections for one image, a safetensors header length of 2^63, a tar member whose size
/// field claims more than the file holds.
@Suite(.serialized) struct HostileStageFilesTests {
    @Test func laterStagesRefuseOrSkipHostileFiles() throws {
        let work = try BuildShardsCommandTests.filtered("hostile-files")
        defer { try? FileManager.default.removeItem(atPath: work) }
        func bounded(_ name: String, _ run: HostileInputTests.Measured) {
            print("hostile \(name): exit \(run.result.status), \(String(format: "%.1f", run.seconds)) s, peak \(run.peakKB / 1024) MB")
            #expect(run.peakKB < HostileInputTests.memoryLimitKB && run.seconds < HostileInputTests.secondsLimit, "\(name)")
        }
        func oneLine(_ result: CommandResult, _ words: String) {
            #expect(result.status == 1 && result.stderr.split(separator: "\n").count == 1 && result.stderr.contains(words), "\(result.stderr)")
        }

        // Rules with wrong types: a string for a number, a number for a name.
        try FileManager.default.copyItem(atPath: SharedCorpus.repositoryRoot.path + "/Sources/Filters/Rules", toPath: work + "/rules")
        let rules = try String(contentsOfFile: work + "/rules/align.toml", encoding: .utf8)
        for (i, (from, to)) in [("min_side = 200", "min_side = \"two hundred\""), ("name = \"image_undecodable\"", "name = 7")].enumerated() {
            #expect(rules.contains(from), "align.toml has \(from)")
            let path = work + "/rules/bad-\(i).toml"
            try rules.replacingOccurrences(of: from, with: to).write(toFile: path, atomically: true, encoding: .utf8)
            guard let run = try HostileInputTests.measured(["filter", "--work", work, "--rules", path]) else { return }
            bounded("rules \(i)", run)
            oneLine(run.result, path)
        }

        // A million detections for one image.
        let db = try SQLiteDatabase(path: work + "/catalog.sqlite")
        guard case .text(let sha)? = try db.query("SELECT sha256 FROM images ORDER BY id LIMIT 1").first?.first else { Issue.record("no image"); return }
        let one = "{\"box\":[1,2,30,40],\"class\":\"circle\",\"confidence\":0.9}"
        let line = "{\"sha256\":\"\(sha)\",\"width\":100,\"height\":100,\"detections\":[" + Array(repeating: one, count: 1_000_000).joined(separator: ",") + "]}\n"
        try line.write(toFile: work + "/million.jsonl", atomically: true, encoding: .utf8)
        if let run = try HostileInputTests.measured(["weak-pairs", "--work", work, "--detections", work + "/million.jsonl"]) {
            bounded("million detections", run)
            #expect(run.result.status == 0 && run.result.stdout.contains("1 detection lines skipped"), "\(run.result.stdout)\(run.result.stderr)")
        }

        // A checkpoint whose header length is 2^63.
        let checkpoint = work + "/bad.safetensors"
        FileManager.default.createFile(atPath: checkpoint, contents: Data([0, 0, 0, 0, 0, 0, 0, 0x80]) + Data("{}".utf8))
        if let run = try HostileInputTests.measured(["search", "--checkpoint", checkpoint, "--shards", work + "/shards", "a red circle"]) {
            bounded("safetensors 2^63", run)
            oneLine(run.result, checkpoint)
        }

        // A train shard whose first member's size field says 8 GiB - 1 (checksum made right).
        #expect(try Curate.run(BuildShardsCommandTests.args + ["--work", work]).status == 0)
        let shard = work + "/shards/train-000000.tar"
        var tar = [UInt8](try Data(contentsOf: URL(fileURLWithPath: shard)))
        tar.replaceSubrange(124..<136, with: Array("77777777777\u{0}".utf8))
        tar.replaceSubrange(148..<156, with: Array(repeating: 0x20, count: 8))
        let sum = tar[0..<512].reduce(0) { $0 + Int($1) }
        tar.replaceSubrange(148..<156, with: Array(String(format: "%06o\u{0} ", sum).utf8))
        try Data(tar).write(to: URL(fileURLWithPath: shard))
        if let run = try HostileInputTests.measured(["train", "--shards", work + "/shards", "--out", work + "/model"] + TrainCommandTests.model) {
            bounded("tar size field", run)
            #expect(run.result.status == 0 && run.result.stdout.contains("shard_truncated"), "\(run.result.stdout)\(run.result.stderr)")
        }
    }
}
