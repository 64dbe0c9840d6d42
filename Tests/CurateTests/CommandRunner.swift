import Foundation
import TestSupport

/// Runs the built `curate` executable, as a user would, and captures what it prints.
struct CommandResult {
    var status: Int32
    /// Whether the process ended by a signal (then `status` is the signal's number).
    var signaled = false
    var stdout: String
    var stderr: String
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

enum Curate {
    /// The executable beside the test bundle (the same build folder, debug or ASan).
    static let executable: URL = {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = runner.deletingLastPathComponent()
        for _ in 0..<4 where !FileManager.default.fileExists(atPath: folder.appendingPathComponent("curate").path) {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("curate")
    }()

    /// Runs curate with `arguments`, extra `environment` variables and `input` on standard input,
    /// in `directory` (the repository's root by default, so `samples/…` paths work).
    static func run(_ arguments: [String], environment: [String: String] = [:], input: Data? = nil, in directory: URL? = nil) throws -> CommandResult {
        try runProcess(executable.path, arguments, environment: environment, input: input, in: directory)
    }

    /// Runs any program as `run` runs curate (a test's Python script, given curate's path).
    static func runProcess(_ path: String, _ arguments: [String], environment: [String: String] = [:], input: Data? = nil,
                           in directory: URL? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? SharedCorpus.repositoryRoot
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(input)
            try stdin.fileHandleForWriting.close()
        }
        // Read before waiting, so a large output cannot fill the pipe and stall the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                             stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Runs curate to the end with `CURATE_FAULT=count`: its result and how many fault points
    /// (write events: commits, file writes, steps) the run passed.
    static func countingFaultPoints(_ arguments: [String]) throws -> (result: CommandResult, points: Int) {
        let result = try run(arguments, environment: ["CURATE_FAULT": "count"])
        let line = result.stderr.split(separator: "\n").last { $0.hasPrefix("curate: fault points: ") }
        return (result, line.flatMap { Int($0.dropFirst("curate: fault points: ".count)) } ?? 0)
    }

    /// Runs curate once per point of `points`, each time SIGKILLed by itself at that fault point
    /// (`CURATE_FAULT=exit-after:N`), and returns how many runs really were killed (a run with
    /// fewer points than asked finishes instead). Deterministic kills: the early, middle and late
    /// moments a test asks for are covered on every run, not by luck.
    @discardableResult
    static func killAtFaultPoints(_ arguments: [String], _ points: [Int]) throws -> Int {
        var killed = 0
        for point in points {
            let result = try run(arguments, environment: ["CURATE_FAULT": "exit-after:\(max(point, 1))"])
            if result.signaled && result.status == SIGKILL { killed += 1 }
        }
        return killed
    }

    /// Starts curate with `arguments` `times` times and kills each run (SIGKILL) after a random
    /// delay in `delay` microseconds: the "killed at any moment" half of the resume tests.
    static func killRepeatedly(_ arguments: [String], times: Int, delay: ClosedRange<UInt32>) throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<times {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            process.currentDirectoryURL = SharedCorpus.repositoryRoot
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: delay, using: &rng))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
