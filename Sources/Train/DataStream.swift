// The training data as a deterministic stream: shards read in name order, epoch after epoch,
// through a seeded shuffle buffer. Its position is the number of samples it has handed out, and
// a stream rebuilt from the same shards and seed and advanced by that many samples is in exactly
// the same state (shuffle buffer and generator included): that is how `curate train --resume`
// continues the data where the checkpoint left it. Advancing reads tar members but decodes nothing.
import CurateCore

public final class DataStream {
    public let shards: [String]
    public let bufferSize: Int
    public private(set) var position = 0
    public private(set) var epoch = 0
    private var rng: SeededRNG
    private var reader: SampleReader
    private var buffer: [RawSample] = []
    /// Skips counted by the readers of finished epochs plus the current one's.
    private var finishedCounts = ReasonCounts()

    public init(shards: [String], seed: UInt64, bufferSize: Int = 1000) {
        self.shards = shards
        self.bufferSize = max(1, bufferSize)
        rng = SeededRNG(seed: seed)
        reader = SampleReader(shards: shards)
    }

    public var counts: ReasonCounts {
        var all = finishedCounts
        all.merge(reader.counts)
        return all
    }

    /// The next sample; nil only when the shards hold no sample at all.
    public func next() -> RawSample? {
        while buffer.count < bufferSize {
            guard let sample = reader.next() else {
                if buffer.isEmpty {
                    // The epoch is over: start the next one (unless the shards are empty).
                    finishedCounts.merge(reader.counts)
                    reader = SampleReader(shards: shards)
                    epoch += 1
                    guard let first = reader.next() else { return nil }
                    buffer.append(first)
                    continue
                }
                break
            }
            buffer.append(sample)
        }
        let i = rng.below(buffer.count)
        buffer.swapAt(i, buffer.count - 1)
        position += 1
        return buffer.removeLast()
    }

    /// Hands out and drops `count` samples (resuming).
    public func advance(by count: Int) {
        for _ in 0..<count { _ = next() }
    }
}
