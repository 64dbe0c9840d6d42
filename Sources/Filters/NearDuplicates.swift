import Imaging

/// The near-duplicate rule (ALIGN's dedup, made precise):
///
///   Two images are near-duplicates when their pHashes are within `max_distance` bits and their
///   colour signatures within `max_color_distance`. Images are taken best first — most texts
///   (pairs over the whole crawl), then most pixels, then the lowest number (the image's id in one
///   catalog of the whole crawl: the order of first capture) — and each one not yet decided is
///   kept and drops every near-duplicate of it not yet decided, so a dropped image is always near
///   the image it names, which is kept (no chains).
///
/// Every figure of the ranking is the whole crawl's, and a decision depends only on the images of
/// its connected component of the near-duplicate graph, so the answer does not depend on how the
/// images are split. One catalog runs the rule over all its candidates (`greedy`, neighbours
/// through `HammingIndex`); units go through the engine: each candidate under its four 16-bit
/// blocks (`bandKeys`), the engine groups by key, pairs within the radius are confirmed by
/// `confirm` (the edges), the engine labels the graph's components, and `greedy` runs on each
/// component's candidates (`curate task near-greedy`). Both see every pair within the radius: two
/// codes within r bits share a block within ⌊r/4⌋ bits.
public enum NearDuplicates {
    public struct Candidate: Codable, Sendable, Equatable {
        public var sha256: String
        /// The image's number in one catalog of the whole crawl (its id there).
        public var number: Int64
        public var pairs: Int
        public var pixels: Int
        public var phash: UInt64
        public var signature: [UInt8]

        public init(sha256: String, number: Int64, pairs: Int, pixels: Int, phash: UInt64, signature: [UInt8]) {
            self.sha256 = sha256; self.number = number; self.pairs = pairs; self.pixels = pixels; self.phash = phash; self.signature = signature
        }

        /// Whether `self` is taken before `other`: more texts, then more pixels, then the lower number.
        public func ranksAbove(_ other: Candidate) -> Bool {
            (other.pairs, other.pixels, number) < (pairs, pixels, other.number)
        }
    }

    /// The image kept in a dropped candidate's place, and how near it is.
    public struct Hit: Codable, Sendable, Equatable {
        public var keep: String
        public var distance: Int
        public var color: Double
    }

    static func colorDistance(_ a: [UInt8], _ b: [UInt8]) -> Double? {
        guard a.count == b.count, !a.isEmpty else { return nil }
        return ImageHash.colorDistance(a, b)
    }

    /// Whether two candidates are near-duplicates: their pHash and colour distances, or nil.
    static func near(_ a: Candidate, _ b: Candidate, radius: Int, maxColorDistance: Double) -> (distance: Int, color: Double)? {
        guard a.sha256 != b.sha256 else { return nil }
        let distance = (a.phash ^ b.phash).nonzeroBitCount
        guard distance <= radius, let color = colorDistance(a.signature, b.signature), color <= maxColorDistance else { return nil }
        return (distance, color)
    }

    /// The rule over `candidates` (a whole catalog's, or one component's): each dropped candidate's
    /// SHA-256 → the image kept in its place.
    public static func greedy(_ candidates: [Candidate], radius: Int, maxColorDistance: Double) -> [String: Hit] {
        let index = HammingIndex(candidates.map(\.phash))
        let masks = HammingIndex.masks(radius: radius / 4)
        var seen = [UInt32](repeating: 0, count: candidates.count), stamp: UInt32 = 0
        let order = candidates.indices.sorted { candidates[$0].ranksAbove(candidates[$1]) }
        var decided = [Bool](repeating: false, count: candidates.count)
        var out: [String: Hit] = [:]
        for keep in order where !decided[keep] {
            decided[keep] = true
            stamp += 1
            let kept = candidates[keep]
            index.search(kept.phash, radius: radius, masks: masks, seen: &seen, stamp: stamp) { j, _ in
                guard !decided[j], let (distance, color) = near(kept, candidates[j], radius: radius, maxColorDistance: maxColorDistance) else { return }
                decided[j] = true
                out[candidates[j].sha256] = Hit(keep: kept.sha256, distance: distance, color: color)
            }
        }
        return out
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

    /// One connected component of the near-duplicate graph, as the engine hands it to `greedy`.
    public struct Component: Codable, Sendable {
        public var candidates: [Candidate]
    }

    /// One line `confirm` writes: two near-duplicates (the engine's graph edge).
    public struct Edge: Codable, Sendable, Equatable {
        public var a: String
        public var b: String
    }

    /// The near-duplicate pairs among a group: every exact member against every other member.
    public static func confirm(_ group: Group, radius: Int, maxColorDistance: Double) -> [Edge] {
        var out: [Edge] = []
        let members = group.exact + group.probes
        for (k, a) in group.exact.enumerated() {
            for (m, b) in members.enumerated() where m > k || m >= group.exact.count {
                guard near(a, b, radius: radius, maxColorDistance: maxColorDistance) != nil else { continue }
                out.append(a.sha256 < b.sha256 ? Edge(a: a.sha256, b: b.sha256) : Edge(a: b.sha256, b: a.sha256))
            }
        }
        return out
    }
}
