/// MetaCLIP's balanced sampling (Xu et al., 2023, Algorithm 1; MetaCLIP 2's `curate.py`): an
/// entry matched c times over the whole crawl keeps each of its pairs with probability
/// t / max(c, t), and a pair is kept when any of its entries' draws keeps it. Entries matched t
/// times or fewer (the tail) keep everything; a head entry keeps about t of its pairs.
///
/// The draws are not a random stream but a hash of (seed, pair content, entry): the same pair
/// draws the same in any catalog, any order and any split into units, so the kept set depends on
/// the seed and the counts alone (the filter's `balanced_sampling` rule; curate-bench times it).
public struct BalancedSampling: Sendable {
    /// t: the count above which an entry is thinned.
    public let threshold: Int
    /// Per entry: t / max(c, t).
    public let probability: [Double]
    private let seedBits: UInt64

    /// `t` > 0 is used as it is; otherwise t comes from the counts and `tailShare` (MetaCLIP 2's
    /// `p_to_t`).
    public init(counts: [Int], t: Int, tailShare: Double, seed: Int) {
        let threshold = t > 0 ? t : Self.threshold(tailShare: tailShare, counts: counts)
        self.threshold = threshold
        probability = counts.map { Double(threshold) / Double(max($0, threshold)) }
        seedBits = Self.mix(UInt64(bitPattern: Int64(seed)))
    }

    /// MetaCLIP 2's `p_to_t`: the count at which the entries matched less often hold the share
    /// `tail` of all matches (of the sorted counts' cumulative shares, the one nearest `tail`;
    /// the first on a tie, as NumPy's argmin).
    public static func threshold(tailShare tail: Double, counts: [Int]) -> Int {
        let sorted = counts.sorted()
        let total = sorted.reduce(0, +)
        guard total > 0 else { return 1 }
        var best = 0, bestGap = Double.infinity, running = 0
        for (i, c) in sorted.enumerated() {
            running += c
            let gap = abs(Double(running) / Double(total) - tail)
            if gap < bestGap { bestGap = gap; best = i }
        }
        return max(1, sorted[best])
    }

    /// A 64-bit number from a pair's content (FNV-1a over the image's SHA-256 text, a separator
    /// byte and the text's bytes): a pair's draws follow it into any catalog or unit.
    public static func contentSeed(imageSHA: String, text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in imageSHA.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        h = (h ^ 0xff) &* 0x100_0000_01b3
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return h
    }

    /// The draw of the pair with content seed `pair` for `entry`: uniform in [0, 1).
    @inline(__always) public func draw(pair: UInt64, entry: Int32) -> Double {
        let bits = Self.mix(pair ^ seedBits ^ Self.mix(UInt64(entry) &+ 0x5851_f42d_4c95_7f2d))
        return Double(bits >> 11) * 0x1p-53
    }

    /// Whether `entry`'s own draw keeps the pair.
    @inline(__always) public func keeps(pair: UInt64, entry: Int32) -> Bool {
        draw(pair: pair, entry: entry) < probability[Int(entry)]
    }

    /// SplitMix64's finaliser.
    @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
