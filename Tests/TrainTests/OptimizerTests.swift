import Foundation
import Testing
import CurateCore
@testable import Train

/// Adafactor and the schedules against the formulas computed independently in Double.
@Suite struct OptimizerTests {
    /// A table with one factored matrix (40×36), one unfactored matrix (8×36: 8 < 32) and a bias.
    static let table = ParameterTable([("w", [40, 36], .zeros), ("small", [8, 36], .zeros), ("b", [5], .zeros)])

    @Test func adafactorMatchesTheFormulas() throws {
        let table = Self.table
        #expect(Adafactor.factoring(table["w"])! == (40, 36))
        #expect(Adafactor.factoring(table["small"]) == nil && Adafactor.factoring(table["b"]) == nil)
        let parameters = Arena(count: table.count), gradients = Arena(count: table.count)
        var rng = SeededRNG(seed: 8)
        for i in 0..<table.count { parameters.pointer[i] = Float(rng.unit() * 2 - 1) }
        let optimizer = Adafactor(table: table, weightDecay: 0.1)
        let lr: Float = 0.01, eps = 1e-30
        // The reference state, in Double.
        var p = (0..<table.count).map { Double(parameters.pointer[$0]) }
        var m = [Double](repeating: 0, count: table.count), v = m
        var vr = [Double](repeating: 0, count: 40), vc = [Double](repeating: 0, count: 36)
        for t in 1...3 {
            for i in 0..<table.count { gradients.pointer[i] = Float(rng.unit() * 2 - 1) * (i % 7 == 0 ? 3 : 1) }
            let g = (0..<table.count).map { Double(gradients.pointer[$0]) }
            optimizer.update(parameters, gradients, learningRate: lr)
            let beta2 = min(1 - pow(Double(t), -0.8), 0.999)
            var update = [Double](repeating: 0, count: table.count)
            func squared(_ i: Int) -> Double { g[i] * g[i] + eps }
            for r in 0..<40 {
                let mean: Double = (0..<36).reduce(0.0) { $0 + squared(r * 36 + $1) } / 36
                vr[r] = beta2 * vr[r] + (1 - beta2) * mean
            }
            for c in 0..<36 {
                let mean: Double = (0..<40).reduce(0.0) { $0 + squared($1 * 36 + c) } / 40
                vc[c] = beta2 * vc[c] + (1 - beta2) * mean
            }
            let rowMean = vr.reduce(0, +) / 40
            for r in 0..<40 { for c in 0..<36 { update[r * 36 + c] = g[r * 36 + c] / ((vr[r] / rowMean) * vc[c]).squareRoot() } }
            for i in 1440..<table.count {
                v[i] = beta2 * v[i] + (1 - beta2) * (g[i] * g[i] + eps)
                update[i] = g[i] / v[i].squareRoot()
            }
            for i in 0..<table.count {
                m[i] = 0.9 * m[i] + update[i]
                let decay = i < 1440 + 288 ? 1 - Double(lr) * 0.1 : 1  // the two matrices decay, the bias does not
                p[i] = p[i] * decay - Double(lr) * m[i]
            }
            let worst = (0..<table.count).map { abs(Double(parameters.pointer[$0]) - p[$0]) }.max()!
            #expect(worst < 1e-5, "step \(t): largest difference \(worst)")
        }
        #expect(optimizer.step == 3)
    }

    @Test func adamWFirstStepIsSignTimesRate() throws {
        let table = Self.table
        let parameters = Arena(count: table.count), gradients = Arena(count: table.count)
        for i in 0..<table.count { gradients.pointer[i] = i % 2 == 0 ? 0.3 : -2 }
        AdamW(table: table, weightDecay: 0).update(parameters, gradients, learningRate: 0.1)
        #expect((0..<table.count).allSatisfy { abs(parameters.pointer[$0] - (gradients.pointer[$0] > 0 ? -0.1 : 0.1)) < 1e-6 })
    }

    @Test func clippingScalesToTheNorm() {
        let arena = Arena(count: 4)
        for (i, value) in [3, 4, 0, 0].enumerated() { arena.pointer[i] = Float(value) }
        #expect(clipGlobalNorm(arena, maxNorm: 1) == 5)
        #expect(abs(arena.pointer[0] - 0.6) < 1e-6 && abs(arena.pointer[1] - 0.8) < 1e-6)
        #expect(clipGlobalNorm(arena, maxNorm: 2) < 1.0001 && abs(arena.pointer[0] - 0.6) < 1e-6)  // under the bound: untouched
    }

    @Test func schedules() {
        let cosine = Schedule.cosine(warmup: 10)
        #expect(cosine.rate(0, peak: 1, total: 110) == 0)
        #expect(cosine.rate(5, peak: 1, total: 110) == 0.5)
        #expect(cosine.rate(10, peak: 1, total: 110) == 1)
        #expect(abs(cosine.rate(60, peak: 1, total: 110) - 0.5) < 1e-6)
        #expect(abs(cosine.rate(110, peak: 1, total: 110)) < 1e-6)
        let rsqrt = Schedule.rsqrt(warmup: 10, timescale: 100, cooldown: 20)
        #expect(rsqrt.rate(5, peak: 1, total: 1000) == 0.5)
        #expect(rsqrt.rate(10, peak: 1, total: 1000) == 1)
        #expect(abs(rsqrt.rate(310, peak: 1, total: 1000) - 0.5) < 1e-6)  // 1/√(1 + 300/100)
        let beforeCooldown = rsqrt.rate(980, peak: 1, total: 1000)
        let expected = Float(1 / (1 + 980.0 / 100).squareRoot()) * 0.5  // half-way through the cool-down
        #expect(abs(rsqrt.rate(990, peak: 1, total: 1000) - expected) < 1e-6)
        #expect(beforeCooldown > 0 && rsqrt.rate(1000, peak: 1, total: 1000) == 0)
    }
}
