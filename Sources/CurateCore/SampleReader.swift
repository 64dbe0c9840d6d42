// WebDataset samples from shards: a tar's adjacent members grouped by key, shard after shard.
// The trainer reads its batches through it, and the report its kept samples.
import Foundation

extension DropReason {
    /// A shard that ends inside a member or has a broken header: its samples after the damage are lost.
    public static let shardTruncated = DropReason("shard_truncated")
}

/// One sample's members by extension (`jpg`, `txt`, `render.png`, `json`, `next.txt`, …).
public struct RawSample: Sendable {
    public let key: String
    public let members: [String: [UInt8]]
    public let shard: String
}

public enum ShardSample {
    /// Which image a sample shows: its json's `image_sha256` (an image with several captions is
    /// several samples), else its key.
    public static func imageIdentity(_ sample: RawSample) -> String {
        SampleMetadata.decode(sample.members["json"])?.imageSHA256 ?? sample.key
    }
}

/// Reads samples from shards in order, grouping adjacent members by key (WebDataset's rule: the
/// key is the name up to its first dot). A damaged shard ends that shard with `shard_truncated`
/// counted once; the samples read before the damage are kept.
public final class SampleReader {
    public private(set) var counts = ReasonCounts()
    /// What was wrong with each damaged shard (TarError's one line: path, offset, problem).
    public private(set) var damage: [String] = []
    private let shards: [String]
    private var shardIndex = 0
    private var reader: TarReader?
    private var pending: TarReader.Member?

    public init(shards: [String]) { self.shards = shards }

    /// The next whole sample, or nil after the last shard.
    public func next() -> RawSample? {
        while shardIndex < shards.count {
            do {
                if reader == nil { reader = try TarReader(path: shards[shardIndex]); pending = nil }
                var members: [String: [UInt8]] = [:], key: String?
                while true {
                    let member: TarReader.Member?
                    if let held = pending { member = held; pending = nil } else { member = try reader!.next() }
                    guard let member else { break }
                    let (memberKey, ext) = Self.split(member.name)
                    if let key, memberKey != key { pending = member; break }
                    key = memberKey
                    members[ext] = member.bytes
                }
                if let key { return RawSample(key: key, members: members, shard: shards[shardIndex]) }
            } catch {
                counts.drop(.shardTruncated)
                damage.append("\(error)")
            }
            reader = nil
            shardIndex += 1
        }
        return nil
    }

    static func split(_ name: String) -> (key: String, ext: String) {
        let base = name.split(separator: "/").last.map(String.init) ?? name
        guard let dot = base.firstIndex(of: ".") else { return (base, "") }
        return (String(base[..<dot]), String(base[base.index(after: dot)...]))
    }
}
