import Catalog
import Foundation
import Testing
import TestSupport

/// A full disk in the middle of a write, on a small tmpfs mounted for the test: a one-line error
/// naming the path and saying the disk is full, a non-zero exit, nothing partial under a final
/// name, an intact catalog; then, with space freed (the tmpfs remounted larger), a rerun that
/// ends exactly where a run that never failed ends. Skipped, with a note, where mounting is not
/// permitted (not root, or in a container without CAP_SYS_ADMIN).
@Suite(.serialized) struct DiskFullTests {
    /// A tmpfs of `kilobytes` at a fresh folder; nil when it cannot be mounted.
    final class SmallDisk {
        let path: String
        init?(kilobytes: Int, name: String) {
            path = NSTemporaryDirectory() + "curate-full-\(name)-\(getpid())"
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            guard Self.sh("mount", "-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", path) else {
                print("skipped: cannot mount a tmpfs at \(path) (needs root and mount permission); the disk-full test of \(name) did not run")
                try? FileManager.default.removeItem(atPath: path)
                return nil
            }
        }
        /// Frees space: the same tmpfs, larger, with its files kept.
        func grow(kilobytes: Int) -> Bool { Self.sh("mount", "-o", "remount,size=\(kilobytes)k", path) }
        deinit {
            _ = Self.sh("umount", "-l", path)
            try? FileManager.default.removeItem(atPath: path)
        }
        static func sh(_ arguments: String...) -> Bool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
    }

    static func expectDiskFull(_ result: CommandResult, under folder: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = result.stderr.split(separator: "\n")
        #expect(result.status != 0 && lines.count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains("cannot write \(folder)/") && result.stderr.contains("the disk is full"), "\(result.stderr)", sourceLocation: sourceLocation)
    }

    @Test func crawlDumpOnAFullDisk() throws {
        let clean = CrawlDumpCommandTests.scratch("full-clean")
        defer { try? FileManager.default.removeItem(atPath: clean) }
        let args = ["crawl-dump", "samples/crawl.warc.gz", "--batch-records", "5"]
        #expect(try Curate.run(args + ["--work", clean]).status == 0)
        guard let disk = SmallDisk(kilobytes: 200, name: "crawl-dump") else { return }
        let work = disk.path + "/work"
        Self.expectDiskFull(try Curate.run(args + ["--work", work]), under: work)
        let check = try SQLiteDatabase(path: work + "/catalog.sqlite").query("PRAGMA integrity_check")
        #expect(check == [[.text("ok")]], "the catalog opens and is intact")
        #expect(disk.grow(kilobytes: 8192))
        #expect(try Curate.run(args + ["--work", work]).status == 0)
        #expect(try CrawlDumpCommandTests.dump(work) == CrawlDumpCommandTests.dump(clean), "the rerun ends as a run that never failed")
    }

    @Test func buildShardsAndTrainOnAFullDisk() throws {
        let work = try BuildShardsCommandTests.filtered("full")
        defer { try? FileManager.default.removeItem(atPath: work) }
        #expect(try Curate.run(BuildShardsCommandTests.args + ["--work", work]).status == 0)
        let shards = try BuildShardsCommandTests.files(work + "/shards")

        if let disk = SmallDisk(kilobytes: 2048, name: "build-shards") {
            let out = disk.path + "/shards"
            Self.expectDiskFull(try Curate.run(BuildShardsCommandTests.args + ["--work", work, "--out", out]), under: out)
            // Every file under a final name is whole: byte for byte the uninterrupted run's.
            let partial = try BuildShardsCommandTests.files(out).filter { !$0.key.hasPrefix(".") }
            #expect(!partial.isEmpty && partial.allSatisfy { shards[$0.key] == $0.value }, "\(partial.keys.sorted())")
            #expect(disk.grow(kilobytes: 16384))
            #expect(try Curate.run(BuildShardsCommandTests.args + ["--work", work, "--out", out]).status == 0)
            #expect(try BuildShardsCommandTests.files(out) == shards, "the rerun gives the same bytes")
        }

        let model = ["train", "--shards", work + "/shards"] + TrainCommandTests.model
        #expect(try Curate.run(model + ["--out", work + "/straight"]).status == 0)
        guard let disk = SmallDisk(kilobytes: 1500, name: "train") else { return }
        let out = disk.path + "/model"
        let full = try Curate.run(model + ["--out", out])
        Self.expectDiskFull(full, under: out)
        #expect(full.stderr.contains("--resume"))
        // The checkpoints under final names are whole (those the uninterrupted run also kept, byte for byte).
        let written = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".safetensors") }
        let kept = Set(try FileManager.default.contentsOfDirectory(atPath: work + "/straight"))
        #expect(written.contains { kept.contains($0) }, "\(written)")
        for name in written where kept.contains(name) {
            #expect(TrainCommandTests.tensorBytes(out + "/" + name) == TrainCommandTests.tensorBytes(work + "/straight/" + name), "\(name) is whole")
        }
        #expect(disk.grow(kilobytes: 8192))
        #expect(try Curate.run(model + ["--out", out, "--resume"]).status == 0)
        #expect(TrainCommandTests.tensorBytes(out + "/step-000000012.safetensors") == TrainCommandTests.tensorBytes(work + "/straight/step-000000012.safetensors"))
    }
}
