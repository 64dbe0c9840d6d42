import CurateCore
import Foundation
import Testing
@testable import Filters

/// The near-duplicate rule, one catalog's way (HammingIndex) against the engine's (block keys,
/// groups, `confirm`, the best hit per image), and the rule itself on a chain.
@Suite struct NearDuplicatesTests {
    /// Clusters of codes a few bits apart, with signatures near or far, and unrelated codes.
    static func candidates(seed: UInt64, count: Int) -> [NearDuplicates.Candidate] {
        var rng = SeededRNG(seed: seed)
        var out: [NearDuplicates.Candidate] = []
        var centre: UInt64 = 0, signature: [UInt8] = []
        for k in 0..<count {
            if k % 5 == 0 {
                centre = rng.next()
                signature = (0..<192).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            }
            var code = centre
            for _ in 0..<Int(rng.next() % 9) { code ^= 1 << (rng.next() % 64) }
            let shift = UInt8(rng.next() % 14)
            out.append(.init(sha256: String(format: "%064llx", rng.next()), number: Int64(k + 1), pairs: Int(rng.next() % 4), pixels: Int(rng.next() % 3) * 1000,
                             phash: code, signature: signature.map { $0 &+ shift }))
        }
        return out
    }

    /// What the engine does: group by key, confirm the groups' pairs (the edges), label the
    /// graph's components, run the rule on each component's candidates.
    static func throughTheEngine(_ candidates: [NearDuplicates.Candidate], radius: Int, maxColor: Double) -> [String: NearDuplicates.Hit] {
        var groups: [String: (exact: [NearDuplicates.Candidate], probes: [NearDuplicates.Candidate])] = [:]
        for c in candidates {
            let keys = NearDuplicates.bandKeys(c.phash, radius: radius)
            for key in keys.exact { groups[key, default: ([], [])].exact.append(c) }
            for key in keys.probes { groups[key, default: ([], [])].probes.append(c) }
        }
        var parent: [String: String] = [:]
        func root(_ v: String) -> String { var v = v; while let p = parent[v], p != v { v = p }; return v }
        for (_, group) in groups where !group.exact.isEmpty {
            for edge in NearDuplicates.confirm(.init(exact: group.exact, probes: group.probes), radius: radius, maxColorDistance: maxColor) {
                let (a, b) = (root(edge.a), root(edge.b))
                parent[a] = parent[a] ?? a
                parent[b] = parent[b] ?? b
                if a != b { parent[max(a, b)] = min(a, b) }
            }
        }
        var components: [String: [NearDuplicates.Candidate]] = [:]
        for c in candidates where parent[c.sha256] != nil { components[root(c.sha256), default: []].append(c) }
        var out: [String: NearDuplicates.Hit] = [:]
        for (_, members) in components {
            out.merge(NearDuplicates.greedy(members, radius: radius, maxColorDistance: maxColor)) { a, _ in a }
        }
        return out
    }

    @Test(arguments: [(6, 8.0), (3, 8.0), (9, 4.0)]) func theEngineFindsWhatOneCatalogFinds(radius: Int, maxColor: Double) {
        let candidates = Self.candidates(seed: UInt64(radius) * 31, count: 400)
        let one = NearDuplicates.greedy(candidates, radius: radius, maxColorDistance: maxColor)
        #expect(!one.isEmpty)
        #expect(one == Self.throughTheEngine(candidates, radius: radius, maxColor: maxColor))
    }

    @Test func theBestImageKeepsAndDropsItsNeighboursWithoutChains() {
        // a ~ b ~ c, a not near c; d near a and b. Ranked a > d > b > c (texts, then pixels).
        let signature = [UInt8](repeating: 100, count: 192)
        let a = NearDuplicates.Candidate(sha256: "a", number: 4, pairs: 9, pixels: 1, phash: 0, signature: signature)
        let b = NearDuplicates.Candidate(sha256: "b", number: 2, pairs: 5, pixels: 1, phash: 0b1111, signature: signature)
        let c = NearDuplicates.Candidate(sha256: "c", number: 1, pairs: 1, pixels: 1, phash: 0b1111_1111, signature: signature)
        let d = NearDuplicates.Candidate(sha256: "d", number: 3, pairs: 5, pixels: 2, phash: 0b11, signature: signature)
        let found = NearDuplicates.greedy([c, b, a, d], radius: 4, maxColorDistance: 8)
        #expect(found["a"] == nil && found["d"]?.keep == "a" && found["b"]?.keep == "a")
        #expect(found["c"] == nil, "c is near b only, and b was dropped: c stays (a dropped image always names a kept one)")
        // Ties in texts and pixels go to the lower number (the first capture); a different colour is never a near-duplicate.
        let e = NearDuplicates.Candidate(sha256: "e", number: 9, pairs: 9, pixels: 1, phash: 0, signature: signature)
        #expect(NearDuplicates.greedy([e, a], radius: 4, maxColorDistance: 8)["e"]?.keep == "a")
        var far = e
        far.signature = [UInt8](repeating: 200, count: 192)
        #expect(NearDuplicates.greedy([far, a], radius: 4, maxColorDistance: 8).isEmpty)
    }
}
