import Foundation
import Testing
@testable import Kernels

/// Gradient checks, as llm.c checks its kernels: seeded inputs of small odd shapes, a seeded upstream
/// gradient `dout`, the loss L = Σ out·dout, and central differences of L in Double. Forward
/// results are held to the Double reference the test computes alongside where there is one; the
/// backward tolerance is for central differences on a Float forward (h = 1e-2: truncation error
/// O(h²) ≈ 1e-4, rounding ≈ 1e-7/h ≈ 1e-5), so 2e-3 relative to the gradient's scale.
struct GradientCheck {
    var rng = Xorshift(seed: 42)

    mutating func values(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in (rng.uniform() * 2 - 1) * scale } }

    /// Largest |analytic − numeric| over all entries of `x`, relative to max(1, max |numeric|).
    static func check(_ name: String, _ x: inout [Float], analytic: [Float], loss: ([Float]) -> Double, h: Float = 1e-2,
                      tolerance: Double = 2e-3) {
        var worst = 0.0, at = 0, scale = 1.0
        var numeric = [Double](repeating: 0, count: x.count)
        for i in x.indices {
            let keep = x[i]
            x[i] = keep + h; let up = loss(x)
            x[i] = keep - h; let down = loss(x)
            x[i] = keep
            numeric[i] = (up - down) / (2 * Double(h))
            scale = max(scale, abs(numeric[i]))
        }
        for i in x.indices {
            let d = abs(Double(analytic[i]) - numeric[i]) / scale
            if d > worst { worst = d; at = i }
        }
        #expect(worst <= tolerance, "\(name): largest difference \(worst) at \(at) (analytic \(analytic[at]), numeric \(numeric[at]))")
    }
}

/// A tiny seeded generator for test inputs.
struct Xorshift {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func uniform() -> Float {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return Float(state >> 40) / Float(1 << 24)
    }
}

func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

@Suite struct GradientCheckTests {
    @Test func linear() {
        var g = GradientCheck()
        let (rows, c, oc) = (5, 7, 3)
        var inp = g.values(rows * c), weight = g.values(oc * c), bias = g.values(oc)
        let dout = g.values(rows * oc)
        func forward(_ i: [Float], _ w: [Float], _ b: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: rows * oc)
            linearForward(&out, i, w, b, rows: rows, c: c, oc: oc)
            return out
        }
        // Forward against the naive reference matmul.
        let reference = referenceMatmul(m: rows, n: oc, k: c, a: inp, b: (0..<(c * oc)).map { weight[($0 % oc) * c + $0 / oc] })
        let out = forward(inp, weight, bias)
        #expect(zip(out, reference.enumerated().map { $0.element + bias[$0.offset % oc] }).allSatisfy { abs($0 - $1) < 1e-5 })
        var dinp = [Float](repeating: 0, count: rows * c), dweight = [Float](repeating: 0, count: oc * c), dbias = [Float](repeating: 0, count: oc)
        linearBackward(&dinp, &dweight, &dbias, dout, inp, weight, rows: rows, c: c, oc: oc)
        GradientCheck.check("linear dinp", &inp, analytic: dinp) { dot(forward($0, weight, bias), dout) }
        GradientCheck.check("linear dweight", &weight, analytic: dweight) { dot(forward(inp, $0, bias), dout) }
        GradientCheck.check("linear dbias", &bias, analytic: dbias) { dot(forward(inp, weight, $0), dout) }
    }

    @Test func layerNorm() {
        var g = GradientCheck()
        let (rows, c) = (3, 11)
        var inp = g.values(rows * c, scale: 2), weight = g.values(c), bias = g.values(c)
        let dout = g.values(rows * c)
        func forward(_ i: [Float], _ w: [Float], _ b: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: rows * c), mean = [Float](repeating: 0, count: rows), rstd = mean
            layerNormForward(&out, &mean, &rstd, i, w, b, rows: rows, c: c)
            return out
        }
        var out = [Float](repeating: 0, count: rows * c), mean = [Float](repeating: 0, count: rows), rstd = mean
        layerNormForward(&out, &mean, &rstd, inp, weight, bias, rows: rows, c: c)
        // Forward against Double arithmetic.
        for r in 0..<rows {
            let x = inp[(r * c)..<((r + 1) * c)].map(Double.init)
            let m = x.reduce(0, +) / Double(c), v = x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(c)
            for i in 0..<c { #expect(abs(Double(out[r * c + i]) - ((x[i] - m) / (v + 1e-6).squareRoot() * Double(weight[i]) + Double(bias[i]))) < 1e-5) }
        }
        var dinp = [Float](repeating: 0, count: rows * c), dweight = [Float](repeating: 0, count: c), dbias = dweight
        layerNormBackward(&dinp, &dweight, &dbias, dout, inp, weight, mean, rstd, rows: rows, c: c)
        GradientCheck.check("layernorm dinp", &inp, analytic: dinp) { dot(forward($0, weight, bias), dout) }
        GradientCheck.check("layernorm dweight", &weight, analytic: dweight) { dot(forward(inp, $0, bias), dout) }
        GradientCheck.check("layernorm dbias", &bias, analytic: dbias) { dot(forward(inp, weight, $0), dout) }
    }

    @Test func gelu() {
        var g = GradientCheck()
        var inp = g.values(13, scale: 3)
        let dout = g.values(13)
        func forward(_ i: [Float]) -> [Float] { var out = [Float](repeating: 0, count: i.count); geluForward(&out, i, count: i.count); return out }
        // Forward against Double: x·Φ(x).
        for (x, y) in zip(inp, forward(inp)) { #expect(abs(Double(y) - Double(x) * 0.5 * (1 + erf(Double(x) / 2.0.squareRoot()))) < 1e-6) }
        var dinp = [Float](repeating: 0, count: 13)
        geluBackward(&dinp, dout, inp, count: 13)
        GradientCheck.check("gelu", &inp, analytic: dinp, loss: { dot(forward($0), dout) }, h: 1e-2, tolerance: 2e-3)
    }

    /// out = a + b: both gradients receive dout (added to what they hold). The model itself
    /// carries the stream's gradient through its residual adds without calling this.
    @Test func residual() {
        var g = GradientCheck()
        var a = g.values(9), b = g.values(9)
        let dout = g.values(9)
        func forward(_ x: [Float], _ y: [Float]) -> [Float] { var out = x; residualForward(&out, x, y, count: 9); return out }
        var da = [Float](repeating: 0, count: 9), db = da
        residualBackward(&da, &db, dout, count: 9)
        GradientCheck.check("residual da", &a, analytic: da) { dot(forward($0, b), dout) }
        GradientCheck.check("residual db", &b, analytic: db) { dot(forward(a, $0), dout) }
    }

    /// The fused kernel is the two kernels composed, to the bit.
    @Test func linearGeluIsLinearThenGelu() {
        var g = GradientCheck()
        let (rows, c, oc) = (130, 7, 9)
        let inp = g.values(rows * c), weight = g.values(oc * c), bias = g.values(oc)
        var pre = [Float](repeating: 0, count: rows * oc), out = pre, linear = pre, gelu = pre
        linearGeluForward(&pre, &out, inp, weight, bias, rows: rows, c: c, oc: oc)
        linearForward(&linear, inp, weight, bias, rows: rows, c: c, oc: oc)
        geluForward(&gelu, linear, count: rows * oc)
        #expect(pre == linear && out == gelu)
    }

    @Test func attention() {
        var g = GradientCheck()
        let (b, n, c, heads) = (2, 5, 6, 3)
        var qkv = g.values(b * n * 3 * c)
        let dout = g.values(b * n * c)
        func forward(_ x: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: b * n * c), att = [Float](repeating: 0, count: b * heads * n * n)
            attentionForward(&out, &att, x, b: b, n: n, c: c, heads: heads)
            return out
        }
        var out = [Float](repeating: 0, count: b * n * c), att = [Float](repeating: 0, count: b * heads * n * n)
        attentionForward(&out, &att, qkv, b: b, n: n, c: c, heads: heads)
        // Every attention row sums to one, and the BLAS path equals the naive loops in Double.
        for row in stride(from: 0, to: att.count, by: n) { #expect(abs(att[row..<(row + n)].reduce(0, +) - 1) < 1e-5) }
        let reference = naiveAttention(qkv, b: b, n: n, c: c, heads: heads)
        #expect(zip(out, reference).allSatisfy { abs(Double($0) - $1) < 1e-5 })
        var dqkv = [Float](repeating: 0, count: qkv.count)
        attentionBackward(&dqkv, dout, qkv, att, b: b, n: n, c: c, heads: heads)
        GradientCheck.check("attention dqkv", &qkv, analytic: dqkv) { dot(forward($0), dout) }
    }

    @Test func stableSoftmaxSurvivesLargeScores() {
        let (b, n, c, heads) = (1, 3, 2, 1)
        let qkv: [Float] = [200, 200, 200, 200, 1, 2,   -200, 300, 300, -200, 3, 4,   100, 100, 50, 50, 5, 6]
        var out = [Float](repeating: 0, count: b * n * c), att = [Float](repeating: 0, count: n * n)
        attentionForward(&out, &att, qkv, b: b, n: n, c: c, heads: heads)
        #expect(out.allSatisfy(\.isFinite) && att.allSatisfy(\.isFinite))
    }
}

/// Attention as three plain loops in Double: the oracle for the BLAS path.
func naiveAttention(_ qkv: [Float], b: Int, n: Int, c: Int, heads: Int) -> [Double] {
    let hs = c / heads, scale = 1 / Double(hs).squareRoot()
    var out = [Double](repeating: 0, count: b * n * c)
    for bi in 0..<b {
        for h in 0..<heads {
            for t in 0..<n {
                let scores = (0..<n).map { s in
                    (0..<hs).reduce(0.0) { $0 + Double(qkv[(bi * n + t) * 3 * c + h * hs + $1]) * Double(qkv[(bi * n + s) * 3 * c + c + h * hs + $1]) } * scale
                }
                let top = scores.max()!, weights = scores.map { exp($0 - top) }, total = weights.reduce(0, +)
                for s in 0..<n {
                    for i in 0..<hs { out[(bi * n + t) * c + h * hs + i] += weights[s] / total * Double(qkv[(bi * n + s) * 3 * c + 2 * c + h * hs + i]) }
                }
            }
        }
    }
    return out
}

@Suite struct HeadGradientCheckTests {
    @Test func positionAndMeanPool() {
        var g = GradientCheck()
        let (b, n, c) = (2, 5, 3)
        var inp = g.values(b * n * c), pos = g.values(n * c)
        let dout = g.values(b * c)
        func forward(_ i: [Float], _ p: [Float]) -> [Float] {
            var x = [Float](repeating: 0, count: b * n * c), out = [Float](repeating: 0, count: b * c)
            positionForward(&x, i, p, b: b, n: n, c: c)
            meanPoolForward(&out, x, b: b, n: n, c: c)
            return out
        }
        var dx = [Float](repeating: 0, count: b * n * c), dinp = dx, dpos = [Float](repeating: 0, count: n * c)
        meanPoolBackward(&dx, dout, b: b, n: n, c: c)
        positionBackward(&dinp, &dpos, dx, b: b, n: n, c: c)
        GradientCheck.check("position+meanpool dinp", &inp, analytic: dinp) { dot(forward($0, pos), dout) }
        GradientCheck.check("position+meanpool dpos", &pos, analytic: dpos) { dot(forward(inp, $0), dout) }
    }

    @Test func probeAttention() {
        var g = GradientCheck()
        let (b, n, c, heads) = (3, 4, 6, 2)
        var q = g.values(c), kv = g.values(b * n * 2 * c)
        let dout = g.values(b * c)
        func forward(_ q: [Float], _ kv: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: b * c), att = [Float](repeating: 0, count: b * heads * n)
            probeAttentionForward(&out, &att, q, kv, b: b, n: n, c: c, heads: heads)
            return out
        }
        var out = [Float](repeating: 0, count: b * c), att = [Float](repeating: 0, count: b * heads * n)
        probeAttentionForward(&out, &att, q, kv, b: b, n: n, c: c, heads: heads)
        var dq = [Float](repeating: 0, count: c), dkv = [Float](repeating: 0, count: kv.count)
        probeAttentionBackward(&dq, &dkv, dout, q, kv, att, b: b, n: n, c: c, heads: heads)
        GradientCheck.check("probe attention dq", &q, analytic: dq) { dot(forward($0, kv), dout) }
        GradientCheck.check("probe attention dkv", &kv, analytic: dkv) { dot(forward(q, $0), dout) }
    }

    @Test func l2Normalize() {
        var g = GradientCheck()
        let (b, c) = (3, 7)
        var inp = g.values(b * c)
        let dout = g.values(b * c)
        func forward(_ i: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: b * c), norm = [Float](repeating: 0, count: b)
            l2NormalizeForward(&out, &norm, i, b: b, c: c)
            return out
        }
        var out = [Float](repeating: 0, count: b * c), norm = [Float](repeating: 0, count: b)
        l2NormalizeForward(&out, &norm, inp, b: b, c: c)
        for r in 0..<b { #expect(abs(out[(r * c)..<((r + 1) * c)].reduce(0) { $0 + $1 * $1 } - 1) < 1e-5) }
        var dinp = [Float](repeating: 0, count: b * c)
        l2NormalizeBackward(&dinp, dout, out, norm, b: b, c: c)
        GradientCheck.check("l2 normalize", &inp, analytic: dinp) { dot(forward($0), dout) }
    }

    /// The loss against a Double computation, and its gradients (a, b and the log-temperature).
    @Test func contrastive() {
        var g = GradientCheck()
        let (n, d) = (5, 4)
        var a = g.values(n * d), b = g.values(n * d)
        var t: [Float] = [log(10)]
        func loss(_ a: [Float], _ b: [Float], _ t: Float) -> Double {
            Double(contrastiveLoss(a, b, logScale: t, count: n, d: d, da: nil, db: nil, dt: nil))
        }
        // Double reference.
        var reference = 0.0
        let s = exp(Double(t[0]))
        let logits = (0..<n).map { i in (0..<n).map { j in s * (0..<d).reduce(0.0) { $0 + Double(a[i * d + $1]) * Double(b[j * d + $1]) } } }
        for i in 0..<n {
            let row = logits[i], col = logits.map { $0[i] }
            reference -= row[i] - log(row.map(exp).reduce(0, +))
            reference -= col[i] - log(col.map(exp).reduce(0, +))
        }
        reference /= Double(2 * n)
        #expect(abs(loss(a, b, t[0]) - reference) < 1e-5)
        var da = [Float](repeating: 0, count: n * d), db = da, dt: Float = 0
        contrastiveLoss(a, b, logScale: t[0], count: n, d: d, da: &da, db: &db, dt: &dt)
        GradientCheck.check("contrastive da", &a, analytic: da, loss: { loss($0, b, t[0]) }, h: 1e-3)
        GradientCheck.check("contrastive db", &b, analytic: db, loss: { loss(a, $0, t[0]) }, h: 1e-3)
        GradientCheck.check("contrastive dt", &t, analytic: [dt], loss: { loss(a, b, $0[0]) }, h: 1e-3)
    }
}

extension HeadGradientCheckTests {
    /// Weighted pairs: against a Double computation, gradients by central differences, and equal
    /// weights give the unweighted loss.
    @Test func weightedContrastive() {
        var g = GradientCheck()
        let (n, d) = (5, 4)
        var a = g.values(n * d), b = g.values(n * d)
        let weights: [Float] = [1, 0.5, 1, 0.25, 1]
        func loss(_ a: [Float], _ b: [Float], _ w: [Float]?) -> Double {
            Double(w.map { w in contrastiveLoss(a, b, logScale: log(10), count: n, d: d, weights: w, da: nil, db: nil, dt: nil) }
                   ?? contrastiveLoss(a, b, logScale: log(10), count: n, d: d, da: nil, db: nil, dt: nil))
        }
        var reference = 0.0
        let logits = (0..<n).map { i in (0..<n).map { j in 10 * (0..<d).reduce(0.0) { $0 + Double(a[i * d + $1]) * Double(b[j * d + $1]) } } }
        for i in 0..<n {
            let row = logits[i], col = logits.map { $0[i] }
            reference -= Double(weights[i]) * (row[i] - log(row.map(exp).reduce(0, +)) + col[i] - log(col.map(exp).reduce(0, +)))
        }
        reference /= 2 * weights.reduce(0) { $0 + Double($1) }
        #expect(abs(loss(a, b, weights) - reference) < 1e-5)
        #expect(abs(loss(a, b, [Float](repeating: 2, count: n)) - loss(a, b, nil)) < 1e-6)
        var da = [Float](repeating: 0, count: n * d), db = da
        contrastiveLoss(a, b, logScale: log(10), count: n, d: d, weights: weights, da: &da, db: &db, dt: nil)
        GradientCheck.check("weighted contrastive da", &a, analytic: da, loss: { loss($0, b, weights) }, h: 1e-3)
        GradientCheck.check("weighted contrastive db", &b, analytic: db, loss: { loss(a, $0, weights) }, h: 1e-3)
    }
}

@Suite struct PatchTests {
    /// A 2-channel 4×6 image in 2×2 patches: patch (row 1, col 2) holds, channel by channel, the
    /// pixels at rows 2-3 and columns 4-5 (values encode channel·100 + row·10 + column).
    @Test func patchesAreCutInTimmsOrder() {
        let (ch, h, w, p) = (2, 4, 6, 2)
        let img: [Float] = (0..<(ch * h * w)).map { i in Float((i / (h * w)) * 100 + ((i / w) % h) * 10 + i % w) }
        var out = [Float](repeating: 0, count: (h / p) * (w / p) * ch * p * p)
        patchifyForward(&out, img, b: 1, channels: ch, height: h, width: w, patch: p)
        let patch = 1 * (w / p) + 2, k = ch * p * p
        #expect(Array(out[(patch * k)..<((patch + 1) * k)]) == [24, 25, 34, 35, 124, 125, 134, 135])
        #expect(Array(out[0..<k]) == [0, 1, 10, 11, 100, 101, 110, 111])
    }
}
