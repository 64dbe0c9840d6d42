import Catalog
import Crypto
import Foundation
import Testing
import TestSupport

/// What #20 promised users: the sample gives b356a0b's shards byte for byte; a catalog b356a0b
/// wrote migrates and gives them too; curate works from any folder, and a dump that moved is
/// found again with `curate relocate`; a newer catalog is refused by every command in one line.
@Suite(.serialized) struct CatalogCompatibilityTests {
    static let root = SharedCorpus.repositoryRoot.path
    /// sha256sum of the shards and sizes.json b356a0b wrote for the sample (Tests/Fixtures).
    static let b356a0bShards: [String: String] = {
        let text = (try? String(contentsOfFile: root + "/Tests/Fixtures/sample-shards-b356a0b.sha256", encoding: .utf8)) ?? ""
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count == 2 { out[String(parts[1])] = String(parts[0]) }
        }
        return out
    }()

    static func work(_ name: String) -> String {
        let work = NSTemporaryDirectory() + "curate-compat-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: work)
        return work
    }

    /// SHA-256 of every shard and sizes.json in `folder`.
    static func digests(_ folder: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".tar") || name == "sizes.json" {
            var data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
            if name.hasSuffix(".tar") { data = withoutLanguages(data) }
            out[name] = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        }
        return out
    }

    /// The tar as b356a0b wrote it: each sample's json since issue #25 also names its text's
    /// language (`language`, `language_confidence`, `page_language`), which b356a0b's did not. The
    /// three keys are taken out of each json member and its ustar header's size and checksum
    /// written again; every other byte is compared as it is.
    static func withoutLanguages(_ tar: Data) -> Data {
        let bytes = [UInt8](tar)
        var out: [UInt8] = []
        var at = 0
        while at + 512 <= bytes.count {
            var header = Array(bytes[at..<(at + 512)])
            if header.allSatisfy({ $0 == 0 }) { out += bytes[at...]; break }
            let sizeField = String(decoding: header[124..<136].prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
            let size = Int(sizeField, radix: 8) ?? 0
            var body = Array(bytes[(at + 512)..<min(bytes.count, at + 512 + size)])
            let name = String(decoding: header[0..<100].prefix { $0 != 0 }, as: UTF8.self)
            if name.hasSuffix(".json") {
                var text = String(decoding: body, as: UTF8.self)
                text = text.replacingOccurrences(of: #""language":"[^"]*","#, with: "", options: .regularExpression)
                text = text.replacingOccurrences(of: #""language_confidence":[0-9.e-]+,"#, with: "", options: .regularExpression)
                text = text.replacingOccurrences(of: #""page_language":"[^"]*","#, with: "", options: .regularExpression)
                body = Array(text.utf8)
                let octal = String(body.count, radix: 8)
                let field = Array((String(repeating: "0", count: max(0, sizeField.count - octal.count)) + octal).utf8)
                header.replaceSubrange(124..<(124 + field.count), with: field)
                for i in 148..<156 { header[i] = 0x20 }
                let sum = String(header.reduce(0) { $0 + Int($1) }, radix: 8)
                let checksum = Array((String(repeating: "0", count: max(0, 6 - sum.count)) + sum).utf8) + [0x20, 0x20]  // as TarWriter writes it
                header.replaceSubrange(148..<156, with: checksum)
            }
            out += header + body + [UInt8](repeating: 0, count: (512 - body.count % 512) % 512)
            at += 512 + (size + 511) / 512 * 512
        }
        return Data(out)
    }

    static func ok(_ arguments: [String], in directory: URL? = nil) throws -> CommandResult {
        let result = try Curate.run(arguments, in: directory)
        #expect(result.status == 0, "curate \(arguments.joined(separator: " ")): \(result.stderr)")
        return result
    }

    /// b356a0b's commands on the sample: crawl-dump, filter, weak-pairs, build-shards.
    static func pipeline(_ work: String, in directory: URL? = nil, sample: String = root + "/samples") throws {
        _ = try ok(["crawl-dump", sample + "/crawl.warc.gz", "--work", work], in: directory)
        _ = try ok(["filter", "--work", work, "--eval-images", "samples/eval"])
        _ = try ok(["weak-pairs", "--work", work, "--detections", sample + "/detections.jsonl"], in: directory)
        _ = try ok(["build-shards", "--work", work, "--text-pairs", "0.25"], in: directory)
    }

    @Test func theSampleGivesB356a0bsShards() throws {
        #expect(Self.b356a0bShards.count == 4, "the fixture lists three shards and sizes.json")
        let work = Self.work("fresh")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try Self.pipeline(work)
        #expect(try Self.digests(work + "/shards") == Self.b356a0bShards)
    }

    @Test func aCatalogOfB356a0bMigratesAndGivesTheSameShards() throws {
        let work = Self.work("migrated"), fresh = Self.work("reference")
        defer { for w in [work, fresh] { try? FileManager.default.removeItem(atPath: w) } }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.root + "/Tests/Fixtures/catalog-b356a0b.sqlite", toPath: work + "/catalog.sqlite")
        // b356a0b stored the dump as crawl-dump was given it, relative to the repository.
        let moved = try Self.ok(["relocate", "samples/crawl.warc.gz", Self.root + "/samples/crawl.warc.gz", "--work", work])
        #expect(moved.stdout == "samples/crawl.warc.gz -> \(Self.root)/samples/crawl.warc.gz\n")
        // Shards straight from the migrated decisions and weak pairs.
        _ = try Self.ok(["build-shards", "--work", work, "--text-pairs", "0.25"])
        #expect(try Self.digests(work + "/shards") == Self.b356a0bShards)
        // Filtering and pairing again on the migrated catalog: the same decisions as a fresh catalog's, the same shards.
        try Self.pipeline(fresh)
        _ = try Self.ok(["filter", "--work", work, "--eval-images", "samples/eval"])
        _ = try Self.ok(["weak-pairs", "--work", work, "--detections", "samples/detections.jsonl"])
        _ = try Self.ok(["build-shards", "--work", work, "--text-pairs", "0.25"])
        #expect(try Self.digests(work + "/shards") == Self.b356a0bShards)
        let query = "SELECT item, id, rule, detail, check_name, related_image_id, eval_path, distance, color_distance FROM filter_decisions ORDER BY item, id"
        #expect(try SQLiteDatabase(path: work + "/catalog.sqlite").query(query) == SQLiteDatabase(path: fresh + "/catalog.sqlite").query(query))
        let report = try Self.ok(["report", "--work", work])
        #expect(report.status == 0)
    }

    /// A migration killed at any of its commits leaves a catalog that the next command migrates:
    /// the shards are b356a0b's all the same.
    @Test func aKilledMigrationIsFinishedByTheNextCommand() throws {
        let work = Self.work("killed-migration")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let relocate = ["relocate", "samples/crawl.warc.gz", Self.root + "/samples/crawl.warc.gz", "--work", work]
        // Two migrations, a fault point before and after each COMMIT: a fresh copy killed at each.
        var versions: [Int32] = []
        for point in 1...4 {
            try? FileManager.default.removeItem(atPath: work)
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Self.root + "/Tests/Fixtures/catalog-b356a0b.sqlite", toPath: work + "/catalog.sqlite")
            #expect(try Curate.killAtFaultPoints(relocate, [point]) == 1, "killed at point \(point)")
            let db = try SQLiteDatabase(path: work + "/catalog.sqlite")
            versions.append(try CatalogStore.version(of: db))
            #expect(try db.query("PRAGMA integrity_check").first?.first == .text("ok"))
            _ = try Self.ok(relocate)
            _ = try Self.ok(["build-shards", "--work", work, "--text-pairs", "0.25"])
            #expect(try Self.digests(work + "/shards") == Self.b356a0bShards, "after a kill at point \(point)")
        }
        #expect(versions == [0, 1, 1, 2], "each kill left the version of the last commit: \(versions)")
    }

    /// Every stage run from another folder than the repository, with the dump given by a relative
    /// path there; then the dump moves and `curate relocate` points the catalog at it.
    @Test func curateWorksFromAnyFolderAndFindsAMovedDump() throws {
        let base = Self.work("anywhere")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let before = base + "/before", elsewhere = URL(fileURLWithPath: base + "/elsewhere")
        try FileManager.default.createDirectory(atPath: before, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        for name in ["crawl.warc.gz", "detections.jsonl"] { try FileManager.default.copyItem(atPath: Self.root + "/samples/" + name, toPath: before + "/" + name) }
        let work = base + "/work"
        _ = try Self.ok(["crawl-dump", "crawl.warc.gz", "--work", work], in: URL(fileURLWithPath: before))
        // filter from a third folder, with the built-in rules (no rules/ there).
        let filtered = try Self.ok(["filter", "--work", work, "--eval-images", Self.root + "/samples/eval"], in: elsewhere)
        #expect(filtered.stdout.contains("(from built-in:align.toml)"), "the rules printed come from the binary")
        let undecodable = filtered.lines.first { $0.hasPrefix("image_undecodable ") } ?? ""
        #expect(undecodable.split(separator: " ").dropFirst(2).first == "1", "the one corrupt image only; the rest were readable from here: \(undecodable)")
        let kept = filtered.lines.last { $0.hasPrefix("kept ") } ?? ""
        #expect(kept.hasPrefix("kept 77 of 119 images and 69 of 176 pairs"), "the same decisions as from the repository: \(kept)")
        _ = try Self.ok(["weak-pairs", "--work", work, "--detections", before + "/detections.jsonl"], in: elsewhere)
        _ = try Self.ok(["build-shards", "--work", work, "--text-pairs", "0.25"], in: elsewhere)
        #expect(try Self.digests(work + "/shards") == Self.b356a0bShards)
        // The dump moves: build-shards cannot read the images; relocate; it can.
        let after = base + "/after"
        try FileManager.default.moveItem(atPath: before, toPath: after)
        try FileManager.default.removeItem(atPath: work + "/shards")
        let lost = try Curate.run(["build-shards", "--work", work, "--text-pairs", "0.25"], in: elsewhere)
        #expect(lost.stdout.contains("skipped") && lost.stdout.contains("unreadable"), "\(lost.stdout)")
        let relocated = try Self.ok(["relocate", before, after, "--work", work], in: elsewhere)
        #expect(relocated.stdout == "\(before)/crawl.warc.gz -> \(after)/crawl.warc.gz\n")
        try FileManager.default.removeItem(atPath: work + "/shards")
        _ = try Self.ok(["build-shards", "--work", work, "--text-pairs", "0.25"], in: elsewhere)
        #expect(try Self.digests(work + "/shards") == Self.b356a0bShards)
        let wrong = try Curate.run(["relocate", "/no/such/dumps", after, "--work", work])
        #expect(wrong.status == 1 && wrong.stderr.split(separator: "\n").count == 1 && wrong.stderr.contains(after + "/crawl.warc.gz"), "\(wrong.stderr)")
    }

    @Test func aNewerCatalogIsRefusedByEveryCommandInOneLine() throws {
        let work = Self.work("newer")
        defer { try? FileManager.default.removeItem(atPath: work) }
        _ = try Self.ok(["crawl-dump", "samples/crawl.warc.gz", "--work", work])
        try SQLiteDatabase(path: work + "/catalog.sqlite").execute("PRAGMA user_version = 42")
        for command in [["crawl-dump", "samples/crawl.warc.gz"], ["filter"], ["filter", "--explain", "1"], ["weak-pairs"], ["build-shards"], ["report"], ["relocate", "a", "b"]] {
            let result = try Curate.run(command + ["--work", work])
            let lines = result.stderr.split(separator: "\n")
            #expect(result.status != 0 && lines.count == 1 && result.stderr.contains("version 42") && result.stderr.contains("this curate's \(CatalogSchema.version)"),
                    "\(command): \(result.stderr)")
        }
    }

    @Test func aFileThatIsNotACatalogIsRefusedByEveryCommandInOneLine() throws {
        let work = Self.work("garbage")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: work + "/catalog.sqlite"))
        for command in [["crawl-dump", "samples/crawl.warc.gz"], ["filter"], ["filter", "--explain", "1"], ["weak-pairs"], ["build-shards"], ["report"], ["relocate", "a", "b"]] {
            let result = try Curate.run(command + ["--work", work])
            #expect(result.status == 1 && result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("not a readable")
                    && result.stderr.contains(work + "/catalog.sqlite"), "\(command): \(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: work + "/catalog.sqlite")) == Data(repeating: 0x41, count: 8192), "the file is left as it was")
    }

    @Test func unknownChoicesAreOneLineErrorsListingThem() throws {
        for (option, value, choices) in [("--optimizer", "sgd", "adafactor, adamw"), ("--schedule", "linear", "cosine, rsqrt"),
                                         ("--fit", "squash", "resize, center-crop"), ("--model", "huge", "mu, Ti/16, S/16, B/16")] {
            let result = try Curate.run(["train", option, value, "--shards", "/nonexistent"])
            #expect(result.status != 0 && result.stderr.split(separator: "\n").count == 1 && result.stderr.contains(choices) && result.stderr.contains(value),
                    "\(option): \(result.stderr)")
        }
        let render = try Curate.run(["build-shards", "--render-size", "8", "--render-font-size", "16"])
        #expect(render.status != 0 && render.stderr.split(separator: "\n").count == 1 && render.stderr.contains("--render-size 8"), "\(render.stderr)")
    }

    /// Shards rendered at the model's size: the trainer renders no caption itself.
    @Test func shardsRenderedForTheModelAreUsedAsTheyAre() throws {
        let work = Self.work("render")
        defer { try? FileManager.default.removeItem(atPath: work) }
        _ = try Self.ok(["crawl-dump", "samples/crawl.warc.gz", "--work", work])
        _ = try Self.ok(["filter", "--work", work, "--eval-images", "samples/eval"])
        let train = ["train", "--model", "mu", "--steps", "2", "--batch", "8", "--eval-every", "2", "--checkpoint-every", "2"]
        _ = try Self.ok(["build-shards", "--work", work, "--text-pairs", "0.25", "--detections", "samples/detections.jsonl"])
        let atCLIPPOSize = try Self.ok(train + ["--shards", work + "/shards", "--out", work + "/model-224"])
        #expect(atCLIPPOSize.stdout.contains("captions: 0 from the shards' render.png"), "224-px renders do not fit a 64-px model: \(atCLIPPOSize.stdout)")
        _ = try Self.ok(["build-shards", "--work", work, "--text-pairs", "0.25", "--render-size", "64", "--render-font-size", "8", "--out", work + "/shards-64"])
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/shards-64/manifest.json"))) as! [String: Any]
        let options = manifest["options"] as! [String: Any]
        #expect(options["render_size"] as? Int == 64 && options["render_font_size"] as? Int == 8)
        let atModelSize = try Self.ok(train + ["--shards", work + "/shards-64", "--out", work + "/model-64"])
        #expect(atModelSize.stdout.contains(", 0 rendered here"), "\(atModelSize.stdout)")
        #expect(!atModelSize.stdout.contains("captions: 0 from"), "\(atModelSize.stdout)")
    }
}
