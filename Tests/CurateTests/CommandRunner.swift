import Foundation
import TestSupport

/// Runs the built `curate` executable, as a user would, and captures what it prints.
struct CommandResult {
    var status: Int32
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

    /// Runs curate with `arguments`, extra `environment` variables and `input` on standard input.
    static func run(_ arguments: [String], environment: [String: String] = [:], input: Data? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = SharedCorpus.repositoryRoot
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
        return CommandResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                             stderr: String(decoding: stderr, as: UTF8.self))
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
