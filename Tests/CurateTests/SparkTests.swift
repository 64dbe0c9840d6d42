import Foundation
import Testing
import TestSupport

/// curate on Apache Spark (scaleout/, README "Running on a cluster"): the sample crawl written as
/// 8 WARC files, through the single-machine commands and through curate_spark.py in local[2] mode
/// for 1, 3 and 8 units and on a standalone cluster of a master and two workers on 127.0.0.1,
/// each compared by content (filter decisions, weak pairs) and by shard digests; then the faults:
/// a curate task SIGKILLed mid-unit, a driver killed after the crawl and restarted, a worker killed
/// during a run. scaleout/check_spark.py does the work; `make spark-demo` runs it on the demo crawl.
@Suite(.serialized) struct SparkTests {
    /// The venv's python with pyspark (make setup: spark-venv), and Java; nil (skipped) without them.
    static let python: String? = {
        let python = ProcessInfo.processInfo.environment["CURATE_SPARK_PYTHON"] ?? "/tmp/curate-spark-venv/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python),
              FileManager.default.isExecutableFile(atPath: "/usr/lib/jvm/java-17-openjdk-amd64/bin/java") else { return nil }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: python)
        probe.arguments = ["-c", "import pyspark"]
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return nil }
        probe.waitUntilExit()
        return probe.terminationStatus == 0 ? python : nil
    }()

    /// Runs scaleout/SCRIPT with curate and the venv's python; expects exit 0; returns its JSON lines.
    static func check(_ python: String, _ script: String, _ arguments: [String]) throws -> [[String: Any]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [SharedCorpus.repositoryRoot.path + "/scaleout/" + script, "--curate", Curate.executable.path, "--python", python] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errors = Data(err.fileHandleForReading.readDataToEndOfFile())
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        print(stdout)
        #expect(process.terminationStatus == 0, "\(String(decoding: errors.suffix(3000), as: UTF8.self))")
        return stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test func sparkGivesTheSingleMachineAnswerForAnyNumberOfUnitsAndSurvivesFaults() throws {
        guard let python = Self.python else {
            print("skipped: the Spark tests need pyspark in /tmp/curate-spark-venv (or CURATE_SPARK_PYTHON) and openjdk-17; make setup installs both")
            return
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("curate-spark-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let steps = try Self.check(python, "check_spark.py", ["--work", work, "--size", "sample", "--warc-files", "8", "--units", "1,3,8", "--standalone", "--faults", "--metaclip"])
        let names = Set(steps.compactMap { $0["step"] as? String })
        for step in ["local-1", "local-3", "local-8", "metaclip-3", "chaos-crawl", "chaos-task", "driver-restart", "standalone-8", "standalone-worker-killed", "done"] {
            #expect(names.contains(step), "step \(step) did not run")
        }
        for step in steps where !["single", "exchanged"].contains(step["step"] as? String) { #expect(step["same"] as? Bool == true, "\(step)") }
        // The faults happened: a killed attempt per chaos run, a resumed crawl, a worker's tasks redone.
        for step in steps where (step["step"] as? String)?.hasPrefix("chaos") == true { #expect((step["failed_attempts"] as? [String])?.isEmpty == false) }
        #expect(steps.first { $0["step"] as? String == "driver-restart" }?["resumed_units"] as? Int == 3)
    }

    /// curate fetch on Spark (scaleout/check_spark_fetch.py): the sample crawl without its images,
    /// served by nginx; the URLs grouped by host into fetch units give every URL the outcome and
    /// every reference the image one machine's curate fetch gives, and a second run fetches nothing.
    @Test func fetchOnSparkGivesTheSingleMachineOutcomes() throws {
        guard let python = Self.python else {
            print("skipped: the Spark tests need pyspark in /tmp/curate-spark-venv (or CURATE_SPARK_PYTHON) and openjdk-17; make setup installs both")
            return
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx"), getuid() == 0 else {
            print("skipped: the Spark fetch test serves the images with nginx on port 80 of a loopback address (needs nginx from make setup, and root)")
            return
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("curate-spark-fetch-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let steps = try Self.check(python, "check_spark_fetch.py", ["--work", work])
        for step in ["spark", "spark-again"] {
            #expect(steps.first { $0["step"] as? String == step }?["same"] as? Bool == true, "\(step)")
        }
        #expect(steps.contains { $0["step"] as? String == "done" })
    }
}
