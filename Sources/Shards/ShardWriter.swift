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

/// Writes a sequence of samples into tar shards `PREFIX-000000.tar`, `PREFIX-000001.tar`, … A
/// shard is closed when it holds `maxSamples` samples, or earlier when the next sample would take
/// it past `maxBytes` (the only way a shard is short, besides the last). Each shard is written
/// under a temporary name, fsynced and renamed, and then its stats file is written (also renamed
/// into place): a shard without stats is incomplete and is rewritten. Given the same samples in
/// the same order, the shards are byte-identical however many times the run was interrupted.
public final class ShardWriter {
    public let folder: String
    public let prefix: String
    public let maxSamples: Int
    public let maxBytes: Int
    public private(set) var finished: [ShardStats] = []

    private var current: [UInt8] = []
    private var currentSamples = 0
    private var position = 0

    public init(folder: String, prefix: String, maxSamples: Int, maxBytes: Int) throws {
        precondition(maxSamples > 0 && maxBytes > 1024, "ShardWriter needs a positive sample count and more than 1 KiB per shard.")
        self.folder = folder
        self.prefix = prefix
        self.maxSamples = maxSamples
        self.maxBytes = maxBytes
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // Shards a previous run finished: contiguous from 000000, each with its stats.
        while let stats = Self.readStats(folder + "/" + name(finished.count) + ".stats.json"), stats.shard == name(finished.count) {
            finished.append(stats)
        }
    }

    func name(_ index: Int) -> String { String(format: "%@-%06d.tar", prefix, index) }

    /// How many inputs the finished shards account for: the caller starts after them.
    public var inputsDone: Int { finished.last?.nextInput ?? 0 }

    static func readStats(_ path: String) -> ShardStats? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(ShardStats.self, from: data)
    }

    /// Adds the next input's sample (call in input order, starting at `inputsDone`).
    public func add(_ sample: Sample) throws {
        if position < inputsDone { position = inputsDone }
        let bytes = sample.tarBytes
        if currentSamples > 0 && current.count + bytes.count + Tar.end.count > maxBytes { try close() }
        current += bytes
        currentSamples += 1
        position += 1
        if currentSamples == maxSamples { try close() }
    }

    /// Passes over the next input (a sample that could not be made).
    public func skip() {
        if position < inputsDone { position = inputsDone }
        position += 1
    }

    /// Writes the last, partly filled shard.
    public func finish() throws {
        if currentSamples > 0 { try close() }
    }

    private func close() throws {
        let name = self.name(finished.count)
        let tar = current + Tar.end
        try AtomicFile.write(tar, to: folder + "/" + name)
        let digest = Hex.encode(Array(SHA256.hash(data: tar)))
        let stats = ShardStats(shard: name, samples: currentSamples, bytes: tar.count, sha256: digest, nextInput: position)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(stats)) + [0x0A], to: folder + "/" + name + ".stats.json")
        finished.append(stats)
        current = []
        currentSamples = 0
    }
}
