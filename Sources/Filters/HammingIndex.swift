/// Finds 64-bit perceptual hashes within a Hamming distance of a query without comparing all
/// pairs: multi-index hashing (Norouzi, Punjani and Fleet, "Fast Search in Hamming Space with
/// Multi-Index Hashing", CVPR 2012).
///
/// The 64 bits are cut into four 16-bit blocks, each indexed in its own table (sorted, with an
/// offset per block value). If two codes differ in at most r bits, one of the four blocks differs
/// in at most ⌊r/4⌋ bits (pigeonhole), so a query only visits, in each table, the block values
/// within ⌊r/4⌋ of its own: 1, 17, 137 or 697 of the 65,536 for r up to 3, 7, 11 or 15. Every
/// candidate is then checked on all 64 bits. Why this and not a BK-tree: at the radii pHash needs
/// (up to 8–10 of 64 bits) a BK-tree visits a large part of the tree, while the tables' cost
/// grows with the number of true neighbours and the probes, not with the collection.
public struct HammingIndex: Sendable {
    public let codes: [UInt64]
    /// Per block: `order[b][offsets[b][v] ..< offsets[b][v + 1]]` are the indices whose block b is v.
    private let offsets: [[Int32]]
    private let order: [[Int32]]

    public init(_ codes: [UInt64]) {
        self.codes = codes
        var offsets: [[Int32]] = [], order: [[Int32]] = []
        for block in 0..<4 {
            var counts = [Int32](repeating: 0, count: 65_537)
            for code in codes { counts[Int(Self.block(code, block)) + 1] += 1 }
            for v in 0..<65_536 { counts[v + 1] += counts[v] }
            var next = counts
            var slots = [Int32](repeating: 0, count: codes.count)
            for (i, code) in codes.enumerated() {
                let v = Int(Self.block(code, block))
                slots[Int(next[v])] = Int32(i)
                next[v] += 1
            }
            offsets.append(counts)
            order.append(slots)
        }
        self.offsets = offsets
        self.order = order
    }

    @inline(__always) static func block(_ code: UInt64, _ b: Int) -> UInt16 { UInt16(truncatingIfNeeded: code >> (16 * b)) }

    /// The 16-bit masks with at most `radius` bits set (radius 0...8, as ⌊32/4⌋ is the largest).
    static func masks(radius: Int) -> [UInt16] { maskTable[min(max(radius, 0), 8)] }

    private static let maskTable: [[UInt16]] = (0...8).map { radius in
        (0...65_535).map { UInt16($0) }.filter { $0.nonzeroBitCount <= radius }
            .sorted { ($0.nonzeroBitCount, $0) < ($1.nonzeroBitCount, $1) }
    }

    /// Calls `found(index, distance)` once for every indexed code within `radius` of `query`.
    /// `seen` must hold `codes.count` entries and `stamp` must differ from every value in it
    /// (callers pass a growing counter, so no clearing is needed between queries).
    public func search(_ query: UInt64, radius: Int, masks: [UInt16], seen: inout [UInt32], stamp: UInt32,
                       _ found: (Int, Int) -> Void) {
        for b in 0..<4 {
            let value = Self.block(query, b)
            offsets[b].withUnsafeBufferPointer { offsets in
                order[b].withUnsafeBufferPointer { order in
                    for mask in masks {
                        let v = Int(value ^ mask)
                        for slot in Int(offsets[v])..<Int(offsets[v + 1]) {
                            let i = Int(order[slot])
                            if seen[i] == stamp { continue }
                            seen[i] = stamp
                            let distance = (codes[i] ^ query).nonzeroBitCount
                            if distance <= radius { found(i, distance) }
                        }
                    }
                }
            }
        }
    }

    /// All indices within `radius` of `query`, with their distances.
    public func neighbours(of query: UInt64, radius: Int) -> [(index: Int, distance: Int)] {
        var seen = [UInt32](repeating: 0, count: codes.count)
        var out: [(Int, Int)] = []
        search(query, radius: radius, masks: Self.masks(radius: radius / 4), seen: &seen, stamp: 1) { out.append(($0, $1)) }
        return out.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
    }
}
