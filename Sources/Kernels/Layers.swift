// Forward and backward kernels of the ViT's layers, in the order a block uses them (llm.c's
// layout): each `xForward` writes its output (and what its backward needs); each `xBackward`
// *adds* into the gradients, which the caller zeroes once per step. Outputs first, then inputs,
// then sizes. All buffers are row-major Float.
//   r = rows (batch × tokens), c = channels, oc = output channels
#if canImport(Glibc)
import Glibc
#endif

// MARK: Linear (through BLAS.swift, the only caller of OpenBLAS)

/// out = inp · weightᵀ + bias.
/// inp (r,c), weight (oc,c), bias (oc) -> out (r,oc)
public func linearForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                          _ bias: UnsafePointer<Float>?, rows: Int, c: Int, oc: Int) {
    BLAS.sgemm(m: rows, n: oc, k: c, a: inp, b: weight, transB: true, c: out)
    if let bias {
        for r in 0..<rows { for o in 0..<oc { out[r * oc + o] += bias[o] } }
    }
}

/// dinp += dout · weight; dweight += doutᵀ · inp; dbias += Σ_rows dout.
/// dout (r,oc), inp (r,c), weight (oc,c) -> dinp (r,c), dweight (oc,c), dbias (oc)
public func linearBackward(_ dinp: UnsafeMutablePointer<Float>?, _ dweight: UnsafeMutablePointer<Float>, _ dbias: UnsafeMutablePointer<Float>?,
                           _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                           rows: Int, c: Int, oc: Int) {
    if let dinp { BLAS.sgemm(m: rows, n: c, k: oc, a: dout, b: weight, c: dinp, beta: 1) }
    BLAS.sgemm(m: oc, n: c, k: rows, a: dout, transA: true, b: inp, c: dweight, beta: 1)
    if let dbias {
        for r in 0..<rows { for o in 0..<oc { dbias[o] += dout[r * oc + o] } }
    }
}

// MARK: LayerNorm

/// Normalises each row to zero mean and unit variance (eps 1e-6, as timm's ViT), then scales and
/// shifts; keeps each row's mean and 1/std for the backward pass.
/// inp (r,c), weight (c), bias (c) -> out (r,c), mean (r), rstd (r)
public func layerNormForward(_ out: UnsafeMutablePointer<Float>, _ mean: UnsafeMutablePointer<Float>, _ rstd: UnsafeMutablePointer<Float>,
                             _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                             rows: Int, c: Int, eps: Float = 1e-6) {
    for r in 0..<rows {
        let x = inp + r * c, y = out + r * c
        var m: Float = 0
        for i in 0..<c { m += x[i] }
        m /= Float(c)
        var v: Float = 0
        for i in 0..<c { let d = x[i] - m; v += d * d }
        v /= Float(c)
        let s = 1 / (v + eps).squareRoot()
        for i in 0..<c { y[i] = (x[i] - m) * s * weight[i] + bias[i] }
        mean[r] = m
        rstd[r] = s
    }
}

/// dout (r,c), inp (r,c), weight (c), mean (r), rstd (r) -> dinp (r,c), dweight (c), dbias (c)
public func layerNormBackward(_ dinp: UnsafeMutablePointer<Float>, _ dweight: UnsafeMutablePointer<Float>, _ dbias: UnsafeMutablePointer<Float>,
                              _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                              _ mean: UnsafePointer<Float>, _ rstd: UnsafePointer<Float>, rows: Int, c: Int) {
    for r in 0..<rows {
        let x = inp + r * c, dy = dout + r * c, dx = dinp + r * c
        let m = mean[r], s = rstd[r]
        // Two reductions: mean of dnorm and mean of dnorm·norm, where dnorm = weight·dout.
        var dnormMean: Float = 0, dnormNormMean: Float = 0
        for i in 0..<c {
            let norm = (x[i] - m) * s, dnorm = weight[i] * dy[i]
            dnormMean += dnorm
            dnormNormMean += dnorm * norm
        }
        dnormMean /= Float(c)
        dnormNormMean /= Float(c)
        for i in 0..<c {
            let norm = (x[i] - m) * s, dnorm = weight[i] * dy[i]
            dbias[i] += dy[i]
            dweight[i] += norm * dy[i]
            dx[i] += (dnorm - dnormMean - norm * dnormNormMean) * s
        }
    }
}

// MARK: GELU (the exact erf form, as PyTorch's nn.GELU() and timm's ViT use by default)

/// out = x · Φ(x) = x · ½(1 + erf(x/√2)).
/// inp (n) -> out (n)
public func geluForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, count: Int) {
    for i in 0..<count {
        let x = inp[i]
        out[i] = 0.5 * x * (1 + erf(x * 0.70710678118654752))
    }
}

/// d/dx [x·Φ(x)] = Φ(x) + x·φ(x).
/// dout (n), inp (n) -> dinp (n)
public func geluBackward(_ dinp: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, count: Int) {
    for i in 0..<count {
        let x = inp[i]
        let cdf = 0.5 * (1 + erf(x * 0.70710678118654752))
        let pdf = exp(-0.5 * x * x) * 0.39894228040143268
        dinp[i] += dout[i] * (cdf + x * pdf)
    }
}

// MARK: Residual

/// out = a + b.
public func residualForward(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { out[i] = a[i] + b[i] }
}

/// da += dout; db += dout.
public func residualBackward(_ da: UnsafeMutablePointer<Float>, _ db: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { da[i] += dout[i]; db[i] += dout[i] }
}

// MARK: Patches

/// Cuts images into p×p patches, row by row, each flattened in (channel, row, column) order, the
/// order of timm's `patch_embed.proj` Conv2d weight (d, 3, p, p): a linear layer over these rows
/// with that weight reshaped to (d, 3·p·p) is the patch embedding. Pixels need no gradient, so
/// there is no backward.
/// img (b, ch, hgt, wid) -> out (b, (hgt/p)·(wid/p), ch·p·p)
public func patchifyForward(_ out: UnsafeMutablePointer<Float>, _ img: UnsafePointer<Float>, b: Int, channels ch: Int, height hgt: Int, width wid: Int, patch p: Int) {
    precondition(hgt % p == 0 && wid % p == 0, "patchify needs image sides divisible by the patch size.")
    let rows = hgt / p, cols = wid / p, k = ch * p * p
    for bi in 0..<b {
        for pr in 0..<rows {
            for pc in 0..<cols {
                let o = out + ((bi * rows + pr) * cols + pc) * k
                var j = 0
                for c in 0..<ch {
                    for y in 0..<p {
                        let src = img + ((bi * ch + c) * hgt + pr * p + y) * wid + pc * p
                        for x in 0..<p { o[j] = src[x]; j += 1 }
                    }
                }
            }
        }
    }
}
