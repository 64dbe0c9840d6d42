/// A small, seeded, portable random generator (SplitMix64).
///
/// curate's own arithmetic, never the standard library's `random(in:)`, whose algorithm may change
/// between Swift releases: a seed must give the same bytes on every toolchain.
public struct SeededRNG: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The generator's whole state, to save in a checkpoint and restore with `init(state:)`.
    public var savedState: UInt64 { state }
    public init(state: UInt64) { self.state = state }

    /// A generator for a sub-stream, independent of this one's future draws.
    public func derived(_ salt: UInt64) -> SeededRNG {
        var copy = SeededRNG(seed: state ^ (salt &* 0x9E37_79B9_7F4A_7C15))
        _ = copy.next()
        return copy
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// An integer in 0..<n (n > 0), by multiply-shift (bias below 2^-32 for the n curate uses).
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0, "SeededRNG.below needs a positive bound.")
        return Int((UInt64(UInt32(truncatingIfNeeded: next() >> 32)) &* UInt64(n)) >> 32)
    }

    /// An integer in the closed range.
    public mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }

    /// A Double in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }

    /// True with probability p.
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// One element of a non-empty array.
    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// The array in a random order (Fisher-Yates).
    public mutating func shuffled<T>(_ items: [T]) -> [T] {
        var items = items
        for i in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(i, below(i + 1)) }
        return items
    }
}
