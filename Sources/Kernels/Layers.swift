// Forward and backward kernels of the ViT's layers, in the order a block uses them (llm.c's
// layout): each `xForward` writes its output (and what its backward needs); each `xBackward`
// *adds* into the gradients, which the caller zeroes once per step. Outputs first, then inputs,
// then sizes. All buffers are row-major Float.
//   r = rows (batch × tokens), c = channels, oc = output channels
#if canImport(Glibc)
import Glibc
#endif

// MARK: Linear (through BLAS.swift, the only caller of OpenBLAS; bf16 through CKernels)

/// out = inp · weightᵀ + bias. Rows are shared among the threads (each multiplies its block).
/// inp (r,c), weight (oc,c), bias (oc) -> out (r,oc)
public func linearForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                          _ bias: UnsafePointer<Float>?, rows: Int, c: Int, oc: Int, precision: Precision = .fp32) {
    parallelRanges(rows, grain: 64) { block in
        BLAS.product(precision, m: block.count, n: oc, k: c, a: inp + block.lowerBound * c, b: weight, transB: true, c: out + block.lowerBound * oc)
        if let bias {
            for r in block { addRow(out + r * oc, bias, oc) }
        }
    }
}

/// dinp += dout · weight (or dinp = …, when `accumulate` is false: the caller then need not zero
/// it); dweight += doutᵀ · inp; dbias += Σ_rows dout. dinp's rows are shared among the threads;
/// for dweight and dbias each thread sums over its own rows into its own buffer (no operand is
/// packed twice), and the buffers are added at the end.
/// dout (r,oc), inp (r,c), weight (oc,c) -> dinp (r,c), dweight (oc,c), dbias (oc)
public func linearBackward(_ dinp: UnsafeMutablePointer<Float>?, _ dweight: UnsafeMutablePointer<Float>, _ dbias: UnsafeMutablePointer<Float>?,
                           _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                           rows: Int, c: Int, oc: Int, accumulate: Bool = true, precision: Precision = .fp32) {
    if let dinp {
        parallelRanges(rows, grain: 64) { block in
            BLAS.product(precision, m: block.count, n: c, k: oc, a: dout + block.lowerBound * oc, b: weight, c: dinp + block.lowerBound * c,
                         beta: accumulate ? 1 : 0)
        }
    }
    let parts = max(1, min(KernelThreads.count, rows / 256))
    let size = oc * c + oc
    Scratch.with((parts - 1) * size + 1) { partial in
        parallelRanges(parts) { range in
            for part in range {
                let block = (rows * part / parts)..<(rows * (part + 1) / parts)
                // The first part adds straight into dweight and dbias; the others fill their buffers.
                let dw = part == 0 ? dweight : partial + (part - 1) * size
                let db = part == 0 ? dbias : partial + (part - 1) * size + oc * c
                BLAS.product(precision, m: oc, n: c, k: block.count, a: dout + block.lowerBound * oc, transA: true, b: inp + block.lowerBound * c,
                             c: dw, beta: part == 0 ? 1 : 0)
                if let db {
                    if part != 0 { db.update(repeating: 0, count: oc) }
                    for r in block { addRow(db, dout + r * oc, oc) }
                }
            }
        }
        for part in 1..<max(parts, 1) {
            let buffer = partial + (part - 1) * size
            addRow(dweight, buffer, oc * c)
            if let dbias { addRow(dbias, buffer + oc * c, oc) }
        }
    }
}

/// y[i] += x[i] for n floats, eight at a time.
@inline(__always)
func addRow(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n {
        let sum = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self) + UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(y + i).storeBytes(of: sum, as: SIMD8<Float>.self)
        i += 8
    }
    while i < n { y[i] += x[i]; i += 1 }
}

// MARK: LayerNorm

/// Normalises each row to zero mean and unit variance (eps 1e-6, as timm's ViT), then scales and
/// shifts; keeps each row's mean and 1/std for the backward pass.
/// inp (r,c), weight (c), bias (c) -> out (r,c), mean (r), rstd (r)
public func layerNormForward(_ out: UnsafeMutablePointer<Float>, _ mean: UnsafeMutablePointer<Float>, _ rstd: UnsafeMutablePointer<Float>,
                             _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                             rows: Int, c: Int, eps: Float = 1e-6) {
    parallelRanges(rows, grain: 64) { block in
        for r in block {
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
}

/// Each thread sums dweight and dbias over its rows apart; the sums are added at the end.
/// dout (r,c), inp (r,c), weight (c), mean (r), rstd (r) -> dinp (r,c), dweight (c), dbias (c)
public func layerNormBackward(_ dinp: UnsafeMutablePointer<Float>, _ dweight: UnsafeMutablePointer<Float>, _ dbias: UnsafeMutablePointer<Float>,
                              _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                              _ mean: UnsafePointer<Float>, _ rstd: UnsafePointer<Float>, rows: Int, c: Int) {
    let parts = max(1, min(KernelThreads.count, rows / 64))
    Scratch.with(parts * 2 * c) { partial in
    partial.update(repeating: 0, count: parts * 2 * c)
    parallelRanges(parts) { range in
        for part in range {
            let sums = partial + part * 2 * c  // dweight then dbias
            for r in (rows * part / parts)..<(rows * (part + 1) / parts) {
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
                    sums[i] += norm * dy[i]
                    sums[c + i] += dy[i]
                    dx[i] += (dnorm - dnormMean - norm * dnormNormMean) * s
                }
            }
        }
    }
    for part in 0..<parts {
        addRow(dweight, partial + part * 2 * c, c)
        addRow(dbias, partial + part * 2 * c + c, c)
    }
    }
}

// MARK: GELU (the exact erf form, as PyTorch's nn.GELU() and timm's ViT use by default)

/// x · Φ(x) = x · ½(1 + erf(x/√2)).
@inline(__always)
func gelu(_ x: Float) -> Float { 0.5 * x * (1 + fastErf(x * 0.70710678118654752)) }

/// out = x · Φ(x) = x · ½(1 + erf(x/√2)) (Vector.swift's erf, vectorised by the compiler).
/// inp (n) -> out (n)
public func geluForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, count: Int) {
    parallelRanges(count, grain: 4096) { range in
        for i in range { out[i] = gelu(inp[i]) }
    }
}

/// linearForward then geluForward in one pass over the output: each thread multiplies its row
/// block, then adds the bias and applies GELU row by row while the row is in cache (the two
/// kernels apart read and write the wide activation twice). Keeps the pre-activation for backward.
/// inp (r,c), weight (oc,c), bias (oc) -> pre (r,oc) = inp·weightᵀ + bias, out (r,oc) = gelu(pre)
public func linearGeluForward(_ pre: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                              _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, rows: Int, c: Int, oc: Int,
                              precision: Precision = .fp32) {
    parallelRanges(rows, grain: 64) { block in
        BLAS.product(precision, m: block.count, n: oc, k: c, a: inp + block.lowerBound * c, b: weight, transB: true, c: pre + block.lowerBound * oc)
        for r in block {
            let x = pre + r * oc, y = out + r * oc
            for o in 0..<oc {
                let v = x[o] + bias[o]
                x[o] = v
                y[o] = gelu(v)
            }
        }
    }
}

/// d/dx [x·Φ(x)] = Φ(x) + x·φ(x). Adds into dinp, or writes it when `accumulate` is false.
/// dout (n), inp (n) -> dinp (n)
public func geluBackward(_ dinp: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, count: Int,
                         accumulate: Bool = true) {
    @inline(__always) func slope(_ x: Float) -> Float {
        let cdf = 0.5 * (1 + fastErf(x * 0.70710678118654752))
        let pdf = fastExp(-0.5 * x * x) * 0.39894228040143268
        return cdf + x * pdf
    }
    parallelRanges(count, grain: 4096) { range in
        if accumulate {
            for i in range { dinp[i] += dout[i] * slope(inp[i]) }
        } else if UnsafePointer(dinp) == dout {
            // In place. Its own loop: with two names for one buffer the compiler's overlap check
            // fails and it runs the scalar loop (measured: GELU's backward became 29% of a step).
            for i in range { dinp[i] *= slope(inp[i]) }
        } else {
            for i in range { dinp[i] = dout[i] * slope(inp[i]) }
        }
    }
}

// MARK: Residual

/// out = a + b.
public func residualForward(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
    parallelRanges(count, grain: 4096) { range in for i in range { out[i] = a[i] + b[i] } }
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
