import Foundation
import Testing
import CurateCore
@testable import Shards

/// CurateCore's TarReader on curate's own shards, on GNU tar's archives (Python's tarfile), and on
/// every truncation of a shard: each cut is either a clean end (at a member boundary) or an error
/// naming the byte offset, never a crash or a wrong member.
@Suite struct TarReaderTests {
    func write(_ samples: [Sample]) throws -> String {
        let folder = ShardWriterTests.folder()
        let writer = try ShardWriter(folder: folder, prefix: "train", maxSamples: 100, maxBytes: 1 << 20)
        for sample in samples { try writer.add(sample) }
        try writer.finish()
        return folder + "/train-000000.tar"
    }

    func readAll(_ path: String) throws -> [TarReader.Member] {
        let reader = try TarReader(path: path)
        var members: [TarReader.Member] = []
        while let member = try reader.next() { members.append(member) }
        return members
    }

    @Test func readsWhatTheShardWriterWrote() throws {
        let samples = ShardWriterTests.samples(5)
        let members = try readAll(try write(samples))
        let expected = samples.flatMap { sample in sample.members.map { (sample.key + "." + $0.0, $0.1) } }
        #expect(members.map(\.name) == expected.map(\.0))
        #expect(members.map(\.bytes) == expected.map(\.1))
    }

    @Test func readsGNUTarFromPython() throws {
        let path = ShardWriterTests.folder() + ".tar"
        let script = """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT) as t:
                for name, data in [("a/0001.txt", b"hello"), ("a/0001.jpg", bytes(range(256)) * 3), ("b" * 120 + ".txt", b"long name")]:
                    info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let members = try readAll(path)
        // The 120-byte name needs GNU's long-name extension, which curate's reader skips: the
        // member is still read, under its truncated 100-byte name.
        #expect(members.map(\.bytes) == [Array("hello".utf8), (0..<3).flatMap { _ in (0..<256).map(UInt8.init) }, Array("long name".utf8)])
        #expect(Array(members.map(\.name).prefix(2)) == ["a/0001.txt", "a/0001.jpg"])
    }

    @Test func everyTruncationIsACleanEndOrAnError() throws {
        let path = try write(ShardWriterTests.samples(3))
        let bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        let full = try readAll(path)
        let cut = path + ".cut"
        for length in stride(from: 0, to: bytes.count, by: 97) {
            FileManager.default.createFile(atPath: cut, contents: Data(bytes[0..<length]))
            let reader = try TarReader(path: cut)
            var read: [TarReader.Member] = []
            do {
                while let member = try reader.next() { read.append(member) }
                // A clean end only where a member ends on a block boundary, or inside the
                // end-of-archive zero blocks once every member is read.
                #expect(length % 512 == 0 || read.count == full.count)
            } catch let error as TarError {
                #expect(error.offset <= length && "\(error)".contains("damaged"))
            }
            // Whatever was read is a prefix of the whole archive, unchanged.
            #expect(read.map(\.bytes) == full.prefix(read.count).map(\.bytes))
        }
    }

    @Test func aCorruptHeaderIsAnError() throws {
        let path = try write(ShardWriterTests.samples(2))
        var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        bytes[130] ^= 0x07  // inside the first member's size field
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        #expect(throws: TarError.self) { try readAll(path) }
        #expect(throws: TarError.self) { try TarReader(path: "/nonexistent.tar") }
    }
}
