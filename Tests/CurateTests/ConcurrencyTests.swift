import Catalog
import Foundation
import Testing
import TestSupport

/// Two curate processes on one folder: the second is refused at once, in one line naming the
/// first (its pid and command); the first, let go, finishes as if alone; a lock left by a killed
/// process blocks nothing. The first process stops itself at its first fault point
/// (`CURATE_FAULT=stop-after:1`, its locks taken), so the overlap is certain, not a race.
@Suite(.serialized) struct ConcurrencyTests {
    /// Starts curate with `arguments` and waits until it has stopped itself at its first fault
    /// point, holding `folder`'s lock.
    static func startAndHold(_ arguments: [String], lockIn folder: String) throws -> Process {
        let process = Process()
        process.environment = ProcessInfo.processInfo.environment.merging(["CURATE_FAULT": "stop-after:1"]) { $1 }
        process.executableURL = Curate.executable
        process.arguments = arguments
        process.currentDirectoryURL = SharedCorpus.repositoryRoot
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        // /proc/PID/stat's third field is the state: T once the process has stopped itself.
        while Date() < deadline, process.isRunning {
            let stat = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8)) ?? ""
            if let close = stat.lastIndex(of: ")"), stat[close...].dropFirst(2).first == "T" { break }
            usleep(2_000)
        }
        let note = (try? String(contentsOfFile: folder + "/.curate.lock", encoding: .utf8)) ?? ""
        #expect(note.hasPrefix("pid \(process.processIdentifier):"), "the held run holds the lock: \(note)")
        return process
    }

    /// Lets a held process go on and waits for it: its exit status.
    static func release(_ process: Process) -> Int32 {
        kill(process.processIdentifier, SIGCONT)
        process.waitUntilExit()
        return process.terminationStatus
    }

    static func expectRefused(_ result: CommandResult, by process: Process, command: String) {
        let lines = result.stderr.split(separator: "\n")
        #expect(result.status == 1 && lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("in use by another curate process (pid \(process.processIdentifier): ") && result.stderr.contains(command),
                "names the running process: \(result.stderr)")
    }

    @Test func aSecondRunOnTheSameWorkFolderIsRefused() throws {
        let (work, clean) = (CrawlDumpCommandTests.scratch("lock"), CrawlDumpCommandTests.scratch("lock-clean"))
        defer { for w in [work, clean] { try? FileManager.default.removeItem(atPath: w) } }
        let crawl = ["crawl-dump", "samples/crawl.warc.gz", "--batch-records", "5"]
        #expect(try Curate.run(crawl + ["--work", clean]).status == 0)

        // Two crawl-dumps; crawl-dump with filter.
        let first = try Self.startAndHold(crawl + ["--work", work], lockIn: work)
        Self.expectRefused(try Curate.run(crawl + ["--work", work]), by: first, command: "crawl-dump")
        Self.expectRefused(try Curate.run(["filter", "--work", work]), by: first, command: "crawl-dump")
        #expect(Self.release(first) == 0)
        #expect(try CrawlDumpCommandTests.dump(work) == CrawlDumpCommandTests.dump(clean), "nothing corrupted, nothing done twice")

        // filter with build-shards (and weak-pairs).
        let filter = try Self.startAndHold(["filter", "--work", work, "--eval-images", "samples/eval"], lockIn: work)
        Self.expectRefused(try Curate.run(["build-shards", "--work", work]), by: filter, command: "filter")
        Self.expectRefused(try Curate.run(["weak-pairs", "--work", work]), by: filter, command: "filter")
        #expect(Self.release(filter) == 0)
        #expect(!FileManager.default.fileExists(atPath: work + "/shards/train-000000.tar"), "the refused build-shards wrote nothing")

        // A lock left by a killed process blocks nothing: the kernel dropped it with the process.
        let killed = try Self.startAndHold(["filter", "--work", work, "--eval-images", "samples/eval"], lockIn: work)
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        #expect(try String(contentsOfFile: work + "/.curate.lock", encoding: .utf8).hasPrefix("pid \(killed.processIdentifier):"), "the dead holder's note is still there")
        let after = try Curate.run(["filter", "--work", work, "--eval-images", "samples/eval"])
        #expect(after.status == 0, "\(after.stderr)")
    }

    @Test func trainingRunsIntoOneFolderAreRefused() throws {
        let work = try BuildShardsCommandTests.filtered("lock-train")
        defer { try? FileManager.default.removeItem(atPath: work) }
        #expect(try Curate.run(BuildShardsCommandTests.args + ["--work", work]).status == 0)
        let args = ["train", "--shards", work + "/shards", "--out", work + "/model"] + TrainCommandTests.model
        let first = try Self.startAndHold(args, lockIn: work + "/model")
        Self.expectRefused(try Curate.run(args + ["--resume"]), by: first, command: "train")
        #expect(Self.release(first) == 0)
        #expect(try Curate.run(args + ["--resume"]).status == 0, "a later run is let in")
    }
}
