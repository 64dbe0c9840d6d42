import Crypto
import CurateCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One WebDataset sample: a key (no dots) and its members, written adjacent in this order.
public struct Sample: Sendable {
    public var key: String
    public var members: [(suffix: String, bytes: [UInt8])]

    public init(key: String, members: [(suffix: String, bytes: [UInt8])]) {
        precondition(!key.contains(".") && !key.contains("/"), "WebDataset keys have no dots or slashes: \(key)")
        self.key = key
        self.members = members
    }

    var tarBytes: [UInt8] { members.flatMap { Tar.member(name: key + "." + $0.suffix, bytes: $0.bytes) } }
}

/// What one finished shard holds; written as `NAME.stats.json` after the shard itself, so its
/// presence marks the shard complete.
public struct ShardStats: Codable, Sendable, Equatable {
    public var shard: String
    public var samples: Int
    public var bytes: Int
    public var sha256: String
    /// Position, in the writer's input sequence, just after the shard's last sample (inputs that
    /// were skipped count too): where a resumed run starts.
    public var nextInput: Int
}

/// Writes a sequence of inputs into tar shards `PREFIX-000000.tar`, `PREFIX-000001.tar`, …: shard
/// k holds the samples of inputs k·maxSamples ..< (k+1)·maxSamples, and an input that could not be
/// made a sample (`skip`) leaves its shard one short, as img2dataset's shards are. So a shard's
/// inputs are known before any is made, and the shards of a long sequence can be written apart, by
/// many machines (`writeShard`), with the bytes one writer gives. A shard whose samples would pass
/// `maxBytes` is an error naming it (lower the samples per shard). Each shard is written under a
/// temporary name, fsynced and renamed, and then its stats file is written (also renamed into
/// place): a shard without stats is incomplete and is rewritten. Given the same inputs in the same
/// order, the shards are byte-identical however many times the run was interrupted.
public final class ShardWriter {
    public let folder: String
    public let prefix: String
    public let maxSamples: Int
    public let maxBytes: Int
    public private(set) var finished: [ShardStats] = []

    private var current: [UInt8] = []
    private var currentSamples = 0
    private var position = 0

    /// A shard that would pass the byte limit.
    public struct TooLarge: Error, CustomStringConvertible, Sendable {
        public let shard: String
        public let maxBytes: Int
        public var description: String {
            "\(shard): its samples pass \(maxBytes >> 20) MB; lower --shard-samples (a shard holds that many inputs) or raise --shard-mb"
        }
    }

    public init(folder: String, prefix: String, maxSamples: Int, maxBytes: Int) throws {
        precondition(maxSamples > 0 && maxBytes > 1024, "ShardWriter needs a positive sample count and more than 1 KiB per shard.")
        self.folder = folder
        self.prefix = prefix
        self.maxSamples = maxSamples
        self.maxBytes = maxBytes
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // Shards a previous run finished: contiguous from 000000, each with its stats.
        while let stats = Self.readStats(folder + "/" + Self.name(prefix, finished.count) + ".stats.json"), stats.shard == Self.name(prefix, finished.count) {
            finished.append(stats)
        }
        position = inputsDone
    }

    static func name(_ prefix: String, _ index: Int) -> String { String(format: "%@-%06d.tar", prefix, index) }

    /// How many inputs the finished shards account for: the caller starts after them.
    public var inputsDone: Int { finished.last?.nextInput ?? 0 }

    static func readStats(_ path: String) -> ShardStats? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(ShardStats.self, from: data)
    }

    /// Adds the next input's sample (call in input order, starting at `inputsDone`).
    public func add(_ sample: Sample) throws {
        let bytes = sample.tarBytes
        if current.count + bytes.count + Tar.end.count > maxBytes { throw TooLarge(shard: Self.name(prefix, finished.count), maxBytes: maxBytes) }
        current += bytes
        currentSamples += 1
        position += 1
        if position % maxSamples == 0 { try close() }
    }

    /// Passes over the next input (a sample that could not be made).
    public func skip() throws {
        position += 1
        if position % maxSamples == 0 { try close() }
    }

    /// Writes the last, partly filled shard.
    public func finish() throws {
        if position > inputsDone { try close() }
    }

    private func close() throws {
        finished.append(try Self.write(folder: folder, name: Self.name(prefix, finished.count), tarBytes: current, samples: currentSamples, nextInput: position))
        current = []
        currentSamples = 0
    }

    static func write(folder: String, name: String, tarBytes: [UInt8], samples: Int, nextInput: Int) throws -> ShardStats {
        let tar = tarBytes + Tar.end
        try AtomicFile.write(tar, to: folder + "/" + name)
        let digest = Hex.encode(Array(SHA256.hash(data: tar)))
        let stats = ShardStats(shard: name, samples: samples, bytes: tar.count, sha256: digest, nextInput: nextInput)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(stats)) + [0x0A], to: folder + "/" + name + ".stats.json")
        return stats
    }

    /// Shard `index` alone, from its inputs in order (nil: an input that could not be made): the
    /// bytes a writer of the whole sequence gives for it.
    public static func writeShard(folder: String, prefix: String, index: Int, maxSamples: Int, maxBytes: Int, inputs: [Sample?]) throws -> ShardStats {
        precondition(inputs.count <= maxSamples)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let name = Self.name(prefix, index)
        var tar: [UInt8] = [], samples = 0
        for sample in inputs.compactMap({ $0 }) {
            let bytes = sample.tarBytes
            if tar.count + bytes.count + Tar.end.count > maxBytes { throw TooLarge(shard: name, maxBytes: maxBytes) }
            tar += bytes
            samples += 1
        }
        return try write(folder: folder, name: name, tarBytes: tar, samples: samples, nextInput: index * maxSamples + inputs.count)
    }
}
