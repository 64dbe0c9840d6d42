// Kernels after the blocks: position embedding, pooling (global average, and MAP's attention of
// one learned query over the tokens), L2 normalisation and CLIP's symmetric contrastive loss.
//   b = batch, n = tokens, c = channels, h = heads, hs = c / h
#if canImport(Glibc)
import Glibc
#endif

/// out = inp + pos (the same learned position embedding for every batch item).
/// inp (b,n,c), pos (n,c) -> out (b,n,c)
public func positionForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ pos: UnsafePointer<Float>, b: Int, n: Int, c: Int) {
    for bi in 0..<b { for i in 0..<(n * c) { out[bi * n * c + i] = inp[bi * n * c + i] + pos[i] } }
}

/// dout (b,n,c) -> dinp (b,n,c) (skipped when nil: pixels need no gradient), dpos (n,c)
public func positionBackward(_ dinp: UnsafeMutablePointer<Float>?, _ dpos: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, b: Int, n: Int, c: Int) {
    for bi in 0..<b {
        for i in 0..<(n * c) {
            dinp?[bi * n * c + i] += dout[bi * n * c + i]
            dpos[i] += dout[bi * n * c + i]
        }
    }
}

/// Global average pooling over tokens. inp (b,n,c) -> out (b,c)
public func meanPoolForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, b: Int, n: Int, c: Int) {
    for bi in 0..<b {
        for i in 0..<c {
            var sum: Float = 0
            for t in 0..<n { sum += inp[(bi * n + t) * c + i] }
            out[bi * c + i] = sum / Float(n)
        }
    }
}

/// dout (b,c) -> dinp (b,n,c)
public func meanPoolBackward(_ dinp: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, b: Int, n: Int, c: Int) {
    for bi in 0..<b { for t in 0..<n { for i in 0..<c { dinp[(bi * n + t) * c + i] += dout[bi * c + i] / Float(n) } } }
}

/// MAP pooling's attention: one query per head (the projected learned probe, the same for every
/// batch item) over the tokens' keys and values. Keeps the attention weights for backward.
/// q (c), kv (b,n,2c) [k | v] -> out (b,c), att (b,h,n)
public func probeAttentionForward(_ out: UnsafeMutablePointer<Float>, _ att: UnsafeMutablePointer<Float>, _ q: UnsafePointer<Float>,
                                  _ kv: UnsafePointer<Float>, b: Int, n: Int, c: Int, heads: Int) {
    let hs = c / heads, scale = 1 / Float(hs).squareRoot()
    for bi in 0..<b {
        for h in 0..<heads {
            let a = att + (bi * heads + h) * n
            for s in 0..<n {
                let k = kv + (bi * n + s) * 2 * c + h * hs
                var dot: Float = 0
                for i in 0..<hs { dot += q[h * hs + i] * k[i] }
                a[s] = dot * scale
            }
            softmaxRow(a, n)
            let o = out + bi * c + h * hs
            for i in 0..<hs { o[i] = 0 }
            for s in 0..<n {
                let v = kv + (bi * n + s) * 2 * c + c + h * hs
                for i in 0..<hs { o[i] += a[s] * v[i] }
            }
        }
    }
}

/// dout (b,c), q (c), kv (b,n,2c), att (b,h,n) -> dq (c), dkv (b,n,2c)
public func probeAttentionBackward(_ dq: UnsafeMutablePointer<Float>, _ dkv: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>,
                                   _ q: UnsafePointer<Float>, _ kv: UnsafePointer<Float>, _ att: UnsafePointer<Float>,
                                   b: Int, n: Int, c: Int, heads: Int) {
    let hs = c / heads, scale = 1 / Float(hs).squareRoot()
    var da = [Float](repeating: 0, count: n)
    for bi in 0..<b {
        for h in 0..<heads {
            let a = att + (bi * heads + h) * n, dO = dout + bi * c + h * hs
            var weighted: Float = 0
            for s in 0..<n {
                let v = kv + (bi * n + s) * 2 * c + c + h * hs, dv = dkv + (bi * n + s) * 2 * c + c + h * hs
                var dot: Float = 0
                for i in 0..<hs { dot += v[i] * dO[i]; dv[i] += a[s] * dO[i] }
                da[s] = dot
                weighted += a[s] * dot
            }
            for s in 0..<n {
                let g = a[s] * (da[s] - weighted) * scale
                let k = kv + (bi * n + s) * 2 * c + h * hs, dk = dkv + (bi * n + s) * 2 * c + h * hs
                for i in 0..<hs { dq[h * hs + i] += g * k[i]; dk[i] += g * q[h * hs + i] }
            }
        }
    }
}

/// Each row divided by its Euclidean norm (plus 1e-12 under the root). inp (b,c) -> out (b,c), norm (b)
public func l2NormalizeForward(_ out: UnsafeMutablePointer<Float>, _ norm: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, b: Int, c: Int) {
    for bi in 0..<b {
        var s: Float = 0
        for i in 0..<c { s += inp[bi * c + i] * inp[bi * c + i] }
        let length = (s + 1e-12).squareRoot()
        norm[bi] = length
        for i in 0..<c { out[bi * c + i] = inp[bi * c + i] / length }
    }
}

/// d(x/|x|) = (dout − y·(y·dout)) / |x|. dout (b,c), out (b,c), norm (b) -> dinp (b,c)
public func l2NormalizeBackward(_ dinp: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ out: UnsafePointer<Float>,
                                _ norm: UnsafePointer<Float>, b: Int, c: Int) {
    for bi in 0..<b {
        var dot: Float = 0
        for i in 0..<c { dot += out[bi * c + i] * dout[bi * c + i] }
        for i in 0..<c { dinp[bi * c + i] += (dout[bi * c + i] - out[bi * c + i] * dot) / norm[bi] }
    }
}

/// CLIP's symmetric contrastive loss over the N×N similarities of L2-normalised embeddings:
/// logits = e^t · a·bᵀ (t the learned log-temperature: big_vision starts at log 10, CoCa at
/// log(1/0.07)); loss = ½ (mean cross-entropy of each row against its diagonal + the same for
/// each column). With `weights` (N), pair i's row and column terms count w_i and the means are
/// taken over Σw (µ-VLA's down-weighting of weak pairs); nil weighs every pair 1. Returns the
/// loss; writes the gradients into da, db (added) and dt (added).
/// a (N,d), b (N,d), t, weights (N) -> loss; da (N,d), db (N,d), dt
@discardableResult
public func contrastiveLoss(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, logScale t: Float, count: Int, d: Int,
                            weights: UnsafePointer<Float>? = nil,
                            da: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?, dt: UnsafeMutablePointer<Float>?) -> Float {
    let s = exp(t), nn = count
    func w(_ i: Int) -> Float { weights?[i] ?? 1 }
    var total: Float = 0
    for i in 0..<nn { total += w(i) }
    precondition(total > 0, "contrastive weights must not all be zero.")
    var sim = [Float](repeating: 0, count: nn * nn)
    sim.withUnsafeMutableBufferPointer { BLAS.sgemm(m: nn, n: nn, k: d, a: a, b: b, transB: true, c: $0.baseAddress!) }
    // Softmax of each row (image i against every text) and of each column (text j against every
    // image, computed as rows of the transpose), both laid out as sim.
    var rowSoft = sim.map { $0 * s }
    var colSoftT = (0..<(nn * nn)).map { rowSoft[($0 % nn) * nn + $0 / nn] }
    rowSoft.withUnsafeMutableBufferPointer { p in for i in 0..<nn { softmaxRow(p.baseAddress! + i * nn, nn) } }
    colSoftT.withUnsafeMutableBufferPointer { p in for j in 0..<nn { softmaxRow(p.baseAddress! + j * nn, nn) } }
    let colSoft = (0..<(nn * nn)).map { colSoftT[($0 % nn) * nn + $0 / nn] }
    var loss: Double = 0
    for i in 0..<nn { loss -= Double(w(i)) * (Double(log(rowSoft[i * nn + i])) + Double(log(colSoft[i * nn + i]))) }
    loss /= Double(2 * total)
    // dL/dlogit[i][j] = (w_i·(rowSoft − [i = j]) + w_j·(colSoft − [i = j])) / (2Σw); logit = s·sim.
    var dsim = [Float](repeating: 0, count: nn * nn)
    var dlogScale: Float = 0
    for i in 0..<nn {
        for j in 0..<nn {
            let diagonal: Float = i == j ? 1 : 0
            let dlogit = (w(i) * (rowSoft[i * nn + j] - diagonal) + w(j) * (colSoft[i * nn + j] - diagonal)) / (2 * total)
            dsim[i * nn + j] = dlogit * s
            dlogScale += dlogit * s * sim[i * nn + j]
        }
    }
    dsim.withUnsafeBufferPointer { g in
        if let da { BLAS.sgemm(m: nn, n: d, k: nn, a: g.baseAddress!, b: b, c: da, beta: 1) }
        if let db { BLAS.sgemm(m: nn, n: d, k: nn, a: g.baseAddress!, transA: true, b: a, c: db, beta: 1) }
    }
    dt?.pointee += dlogScale
    return Float(loss)
}
