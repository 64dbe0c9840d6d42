// Multi-head self-attention without a mask (every token sees every token, as in a ViT).
//   b = batch, n = tokens, c = channels, h = heads, hs = c / h
// Each (batch item, head) is three small matrix products on that head's columns of the fused
// q|k|v rows (BLAS with a row stride of 3c, no copies) and a softmax; the pairs are shared
// among KernelThreads.count threads.
#if canImport(Glibc)
import Glibc
#endif

/// att = softmax(q·kᵀ/√hs) row by row (max subtracted: numerically stable), out = att·v.
/// Keeps att for the backward pass.
/// qkv (b,n,3c) [q | k | v] -> out (b,n,c), att (b,h,n,n)
public func attentionForward(_ out: UnsafeMutablePointer<Float>, _ att: UnsafeMutablePointer<Float>,
                             _ qkv: UnsafePointer<Float>, b: Int, n: Int, c: Int, heads: Int) {
    let hs = c / heads, scale = 1 / Float(hs).squareRoot()
    precondition(hs * heads == c, "attention needs channels divisible by heads.")
    parallelRanges(b * heads) { pairs in
        for pair in pairs {
            let bi = pair / heads, h = pair % heads
            let q = qkv + bi * n * 3 * c + h * hs, k = q + c, v = q + 2 * c
            let a = att + pair * n * n
            BLAS.sgemm(m: n, n: n, k: hs, a: q, lda: 3 * c, b: k, ldb: 3 * c, transB: true, c: a, alpha: scale)
            for t in 0..<n { softmaxRow(a + t * n, n) }
            BLAS.sgemm(m: n, n: hs, k: n, a: a, b: v, ldb: 3 * c, c: out + bi * n * c + h * hs, ldc: c)
        }
    }
}

/// Writes dqkv rather than adding to it (each head's block has one contribution; the caller's
/// buffer is this layer's scratch and need not be zeroed). The gradient of one head's attention
/// matrix lives in a per-thread n×n scratch that stays in cache.
/// dout (b,n,c), qkv (b,n,3c), att (b,h,n,n) -> dqkv (b,n,3c)
public func attentionBackward(_ dqkv: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ qkv: UnsafePointer<Float>,
                              _ att: UnsafePointer<Float>, b: Int, n: Int, c: Int, heads: Int) {
    let hs = c / heads, scale = 1 / Float(hs).squareRoot()
    parallelRanges(b * heads) { pairs in
        Scratch.with(n * n) { da in
            for pair in pairs {
                let bi = pair / heads, h = pair % heads
                let q = qkv + bi * n * 3 * c + h * hs, k = q + c, v = q + 2 * c
                let dq = dqkv + bi * n * 3 * c + h * hs, dk = dq + c, dv = dq + 2 * c
                let dO = dout + bi * n * c + h * hs
                let a = att + pair * n * n
                // out = att·v: datt = dout·vᵀ, dv = attᵀ·dout.
                BLAS.sgemm(m: n, n: n, k: hs, a: dO, lda: c, b: v, ldb: 3 * c, transB: true, c: da)
                BLAS.sgemm(m: n, n: hs, k: n, a: a, transA: true, b: dO, ldb: c, c: dv, ldc: 3 * c)
                // Softmax, row by row: dpre[s] = att[s]·(datt[s] − Σ_u att[u]·datt[u]), in place.
                for t in 0..<n { softmaxRowBackward(da + t * n, a + t * n, n) }
                // pre = scale·q·kᵀ: dq = scale·dpre·k, dk = scale·dpreᵀ·q.
                BLAS.sgemm(m: n, n: hs, k: n, a: da, b: k, ldb: 3 * c, c: dq, ldc: 3 * c, alpha: scale)
                BLAS.sgemm(m: n, n: hs, k: n, a: da, transA: true, b: q, ldb: 3 * c, c: dk, ldc: 3 * c, alpha: scale)
            }
        }
    }
}

/// x (n) -> softmax(x) (n), in place, with the maximum subtracted first.
@inline(__always)
func softmaxRow(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
    let top = maximum(x, n)
    for s in 0..<n { x[s] = fastExp(x[s] - top) }
    let inverse = 1 / sum(x, n)
    for s in 0..<n { x[s] *= inverse }
}

/// d (n) the gradient of a softmax's output y (n) -> the gradient of its input, in place.
@inline(__always)
func softmaxRowBackward(_ d: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) {
    let weighted = dot(y, d, n)
    for s in 0..<n { d[s] = y[s] * (d[s] - weighted) }
}
