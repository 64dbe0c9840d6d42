import Foundation
import Testing
@testable import Shards

@Suite struct ShardWriterTests {
    static func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("curate-shards-\(UUID().uuidString)").path
    }

    static func samples(_ n: Int) -> [Sample] {
        (0..<n).map { i in
            Sample(key: String(format: "%09d", i), members: [("jpg", [UInt8](repeating: UInt8(i % 251), count: 100 + (i * 37) % 900)),
                                                              ("txt", Array("caption number \(i)".utf8)), ("json", Array("{\"i\":\(i)}".utf8))])
        }
    }

    static func files(_ folder: String) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) { out[name] = [UInt8](FileManager.default.contents(atPath: folder + "/" + name)!) }
        return out
    }

    @Test func pythonsTarfileReadsTheShardsMembersInOrder() throws {
        let folder = Self.folder()
        let writer = try ShardWriter(folder: folder, prefix: "train", maxSamples: 4, maxBytes: 1 << 20)
        for sample in Self.samples(10) { try writer.add(sample) }
        try writer.finish()
        #expect(writer.finished.map(\.samples) == [4, 4, 2])
        let script = """
            import sys, tarfile
            t = tarfile.open(sys.argv[1])
            for m in t.getmembers():
                print(m.name, m.size, m.mode, m.uid, m.gid, m.mtime, m.isfile(), len(t.extractfile(m).read()))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, folder + "/train-000000.tar"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let lines = output.split(separator: "\n")
        #expect(lines.count == 12)
        #expect(lines.first == "000000000.jpg 100 420 0 0 946684800 True 100")
        #expect(lines.prefix(3).map { $0.split(separator: " ")[0] } == ["000000000.jpg", "000000000.txt", "000000000.json"])
    }

    @Test func aShardHoldsItsRangeOfInputsAndASkippedInputLeavesItShort() throws {
        let folder = Self.folder()
        let writer = try ShardWriter(folder: folder, prefix: "train", maxSamples: 5, maxBytes: 1 << 20)
        for (k, sample) in Self.samples(12).enumerated() { if k == 3 || k == 9 { try writer.skip() } else { try writer.add(sample) } }
        try writer.finish()
        #expect(writer.finished.map(\.samples) == [4, 4, 2])
        #expect(writer.finished.map(\.nextInput) == [5, 10, 12])
        // Each shard alone, from its inputs, is the same bytes.
        let apart = Self.folder()
        let inputs: [Sample?] = Self.samples(12).enumerated().map { $0.offset == 3 || $0.offset == 9 ? nil : $0.element }
        for k in 0..<3 {
            let stats = try ShardWriter.writeShard(folder: apart, prefix: "train", index: k, maxSamples: 5, maxBytes: 1 << 20,
                                                   inputs: Array(inputs[(k * 5)..<min(12, k * 5 + 5)]))
            #expect(stats == writer.finished[k])
        }
    }

    @Test func aShardPastTheByteCapIsAnErrorNamingIt() throws {
        let writer = try ShardWriter(folder: Self.folder(), prefix: "train", maxSamples: 5, maxBytes: 6 * 1024)
        #expect(throws: ShardWriter.TooLarge.self) { for sample in Self.samples(12) { try writer.add(sample) } }
    }

    /// Stopped after any shard (and with a half-written temporary file lying about), then resumed:
    /// the same bytes as one uninterrupted run.
    @Test func resumedRunsAreByteIdentical() throws {
        let clean = Self.folder(), resumed = Self.folder()
        let samples = Self.samples(23)
        let writer = try ShardWriter(folder: clean, prefix: "train", maxSamples: 4, maxBytes: 1 << 20)
        for s in samples { try writer.add(s) }
        try writer.finish()
        for stopAfter in [1, 3, 9, 14] {
            let first = try ShardWriter(folder: resumed, prefix: "train", maxSamples: 4, maxBytes: 1 << 20)
            for s in samples[first.inputsDone..<stopAfter] { try first.add(s) }  // "killed": no finish()
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: resumed + "/.curate-tmp-99-train-000009.tar"))
        }
        try? FileManager.default.removeItem(atPath: resumed + "/.curate-tmp-99-train-000009.tar")
        let second = try ShardWriter(folder: resumed, prefix: "train", maxSamples: 4, maxBytes: 1 << 20)
        #expect(second.inputsDone == 12)
        for s in samples[second.inputsDone...] { try second.add(s) }
        try second.finish()
        #expect(try Self.files(resumed) == Self.files(clean))
    }
}
