// Multi-head self-attention without a mask (every token sees every token, as in a ViT).
//   b = batch, n = tokens, c = channels, h = heads, hs = c / h
#if canImport(Glibc)
import Glibc
#endif

/// For each head: preatt = q·kᵀ/√hs, att = softmax(preatt) (max subtracted: numerically stable),
/// out = att·v. Keeps preatt and att for the backward pass.
/// qkv (b,n,3c) [q | k | v] -> out (b,n,c), preatt (b,h,n,n), att (b,h,n,n)
public func attentionForward(_ out: UnsafeMutablePointer<Float>, _ preatt: UnsafeMutablePointer<Float>, _ att: UnsafeMutablePointer<Float>,
                             _ qkv: UnsafePointer<Float>, b: Int, n: Int, c: Int, heads: Int) {
    let hs = c / heads, scale = 1 / Float(hs).squareRoot()
    precondition(hs * heads == c, "attention needs channels divisible by heads.")
    for bi in 0..<b {
        for h in 0..<heads {
            for t in 0..<n {
                let q = qkv + (bi * n + t) * 3 * c + h * hs
                let pre = preatt + ((bi * heads + h) * n + t) * n, a = att + ((bi * heads + h) * n + t) * n
                var maximum = -Float.infinity
                for s in 0..<n {
                    let k = qkv + (bi * n + s) * 3 * c + c + h * hs
                    var dot: Float = 0
                    for i in 0..<hs { dot += q[i] * k[i] }
                    pre[s] = dot * scale
                    maximum = max(maximum, pre[s])
                }
                var sum: Float = 0
                for s in 0..<n { a[s] = exp(pre[s] - maximum); sum += a[s] }
                for s in 0..<n { a[s] /= sum }
                let o = out + (bi * n + t) * c + h * hs
                for i in 0..<hs { o[i] = 0 }
                for s in 0..<n {
                    let v = qkv + (bi * n + s) * 3 * c + 2 * c + h * hs
                    for i in 0..<hs { o[i] += a[s] * v[i] }
                }
            }
        }
    }
}

/// dout (b,n,c), qkv (b,n,3c), att (b,h,n,n) -> dqkv (b,n,3c); datt, dpreatt are scratch (b,h,n,n)
public func attentionBackward(_ dqkv: UnsafeMutablePointer<Float>, _ dpreatt: UnsafeMutablePointer<Float>, _ datt: UnsafeMutablePointer<Float>,
                              _ dout: UnsafePointer<Float>, _ qkv: UnsafePointer<Float>, _ att: UnsafePointer<Float>,
                              b: Int, n: Int, c: Int, heads: Int) {
    let hs = c / heads, scale = 1 / Float(hs).squareRoot()
    for bi in 0..<b {
        for h in 0..<heads {
            for t in 0..<n {
                let a = att + ((bi * heads + h) * n + t) * n
                let da = datt + ((bi * heads + h) * n + t) * n, dpre = dpreatt + ((bi * heads + h) * n + t) * n
                let dO = dout + (bi * n + t) * c + h * hs
                // out = Σ_s a[s]·v[s]: da[s] = dO·v[s]; dv[s] += a[s]·dO
                for s in 0..<n {
                    let v = qkv + (bi * n + s) * 3 * c + 2 * c + h * hs
                    let dv = dqkv + (bi * n + s) * 3 * c + 2 * c + h * hs
                    var dot: Float = 0
                    for i in 0..<hs { dot += v[i] * dO[i]; dv[i] += a[s] * dO[i] }
                    da[s] = dot
                }
                // softmax: dpre[s] = a[s]·(da[s] − Σ_u a[u]·da[u])
                var weighted: Float = 0
                for s in 0..<n { weighted += a[s] * da[s] }
                for s in 0..<n { dpre[s] = a[s] * (da[s] - weighted) }
                // pre[s] = scale·q·k[s]
                let q = qkv + (bi * n + t) * 3 * c + h * hs, dq = dqkv + (bi * n + t) * 3 * c + h * hs
                for s in 0..<n {
                    let k = qkv + (bi * n + s) * 3 * c + c + h * hs, dk = dqkv + (bi * n + s) * 3 * c + c + h * hs
                    let g = dpre[s] * scale
                    for i in 0..<hs { dq[i] += g * k[i]; dk[i] += g * q[i] }
                }
            }
        }
    }
}
