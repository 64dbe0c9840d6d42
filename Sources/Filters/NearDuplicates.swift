import Imaging

/// The near-duplicate rule, defined so that it does not depend on how the images are split:
///
///   Two images are near-duplicates when their pHashes are within `max_distance` bits and their
///   colour signatures within `max_color_distance`. Images are ranked by their texts (pairs over
///   the whole crawl), then their pixels, then their SHA-256. An image is dropped when it has a
///   near-duplicate ranked above it, and names the best-ranked one.
///
/// Each decision depends only on the image and its neighbours, never on an order of visits, so one
/// catalog and any number of units decide alike. (The rule before #22 kept the best image, dropped
/// its neighbours and went on down the ranking: a chain a~b~c dropped only b. Here c goes too, as
/// a near-duplicate of b; the sample and the demo crawl have no such chain.)
///
/// One catalog finds the neighbours with `HammingIndex`; units find them through the engine:
/// each candidate goes under its four 16-bit blocks (`bandKeys`), the engine groups by key and
/// `confirm` checks each group's pairs, the engine keeps each image's best neighbour. Both see
/// every pair within the radius: two codes within r bits share a block within ⌊r/4⌋ bits.
public enum NearDuplicates {
    public struct Candidate: Codable, Sendable, Equatable {
        public var sha256: String
        public var pairs: Int
        public var pixels: Int
        public var phash: UInt64
        public var signature: [UInt8]

        public init(sha256: String, pairs: Int, pixels: Int, phash: UInt64, signature: [UInt8]) {
            self.sha256 = sha256; self.pairs = pairs; self.pixels = pixels; self.phash = phash; self.signature = signature
        }

        /// Whether `self` ranks above `other`: more texts, then more pixels, then the lower SHA-256.
        public func ranksAbove(_ other: Candidate) -> Bool {
            (other.pairs, other.pixels, sha256) < (pairs, pixels, other.sha256)
        }
    }

    /// The image ranked above a candidate that it is dropped for.
    public struct Hit: Codable, Sendable, Equatable {
        public var keep: String
        public var distance: Int
        public var color: Double
    }

    static func colorDistance(_ a: [UInt8], _ b: [UInt8]) -> Double? {
        guard a.count == b.count, !a.isEmpty else { return nil }
        return ImageHash.colorDistance(a, b)
    }

    /// The pair's edge when they are near-duplicates: which is dropped, for which, and how near.
    static func edge(_ a: Candidate, _ b: Candidate, radius: Int, maxColorDistance: Double) -> (drop: Candidate, keep: Candidate, hit: Hit)? {
        guard a.sha256 != b.sha256 else { return nil }
        let distance = (a.phash ^ b.phash).nonzeroBitCount
        guard distance <= radius, let color = colorDistance(a.signature, b.signature), color <= maxColorDistance else { return nil }
        let (keep, drop) = a.ranksAbove(b) ? (a, b) : (b, a)
        return (drop, keep, Hit(keep: keep.sha256, distance: distance, color: color))
    }

    /// Of two hits for one image, the one naming the better-ranked image.
    static func better(_ x: (Candidate, Hit), than y: (Candidate, Hit)) -> Bool { x.0.ranksAbove(y.0) }

    /// One catalog: every candidate's best-ranked near-duplicate above it, by SHA-256.
    public static func better(of candidates: [Candidate], radius: Int, maxColorDistance: Double) -> [String: Hit] {
        let index = HammingIndex(candidates.map(\.phash))
        let masks = HammingIndex.masks(radius: radius / 4)
        var seen = [UInt32](repeating: 0, count: candidates.count), stamp: UInt32 = 0
        var best: [String: (Candidate, Hit)] = [:]
        for a in candidates {
            stamp += 1
            index.search(a.phash, radius: radius, masks: masks, seen: &seen, stamp: stamp) { j, _ in
                guard let (drop, keep, hit) = edge(a, candidates[j], radius: radius, maxColorDistance: maxColorDistance), drop.sha256 == a.sha256 else { return }
                if let known = best[a.sha256], !better((keep, hit), than: known) { return }
                best[a.sha256] = (keep, hit)
            }
        }
        return best.mapValues(\.1)
    }

    // MARK: Units, through the engine's shuffle

    /// A candidate's keys: `exact` under its own block values, `probes` under every value within
    /// ⌊radius/4⌋ bits of them. A group holds the candidates whose exact key or probe it is.
    public static func bandKeys(_ code: UInt64, radius: Int) -> (exact: [String], probes: [String]) {
        var exact: [String] = [], probes: [String] = []
        for b in 0..<4 {
            let value = HammingIndex.block(code, b)
            exact.append("\(b):\(value)")
            for mask in HammingIndex.masks(radius: radius / 4) where mask != 0 { probes.append("\(b):\(value ^ mask)") }
        }
        return (exact, probes)
    }

    /// One line of a group the engine hands to `confirm`.
    public struct Group: Codable, Sendable {
        public var exact: [Candidate]
        public var probes: [Candidate]
    }

    /// One line `confirm` writes: the image dropped, the one it is dropped for, and the order key
    /// of the latter (the engine keeps, per dropped image, the hit with the smallest order).
    public struct Edge: Codable, Sendable, Equatable {
        public var drop: String
        public var hit: Hit
        /// [−pairs, −pixels, sha256] of the kept image: smaller ranks higher.
        public var order: [OrderPart]

        public enum OrderPart: Codable, Sendable, Equatable {
            case number(Int), text(String)
            public init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let n = try? c.decode(Int.self) { self = .number(n) } else { self = .text(try c.decode(String.self)) }
            }
            public func encode(to encoder: Encoder) throws {
                var c = encoder.singleValueContainer()
                switch self { case .number(let n): try c.encode(n); case .text(let s): try c.encode(s) }
            }
        }
    }

    /// The near-duplicate edges among a group: every exact member against every other member.
    public static func confirm(_ group: Group, radius: Int, maxColorDistance: Double) -> [Edge] {
        var out: [Edge] = []
        let members = group.exact + group.probes
        for (k, a) in group.exact.enumerated() {
            for (m, b) in members.enumerated() where m > k || m >= group.exact.count {
                guard let (drop, keep, hit) = edge(a, b, radius: radius, maxColorDistance: maxColorDistance) else { continue }
                out.append(Edge(drop: drop.sha256, hit: hit, order: [.number(-keep.pairs), .number(-keep.pixels), .text(keep.sha256)]))
            }
        }
        return out
    }
}
