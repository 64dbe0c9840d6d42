// exp and erf for softmax and GELU, written as straight-line Float arithmetic and bit operations
// (no branches, no library calls) so that LLVM's loop vectoriser turns the loops that call them
// into SIMD code: glibc's scalar expf and erff took a fifth of a ViT-Ti training step, and
// Swift's SIMD16 type lowered lane selects to per-lane loops. Both are the usual
// single-precision approximations:
//   exp: x = k·ln2 + r with |r| ≤ ln2/2, e^r by Cephes' degree-6 polynomial (expf's), times 2^k
//        built in the exponent bits; relative error ≈ 2e-7; inputs are clamped to [−87.3, 88.7].
//   erf: Abramowitz & Stegun 7.1.26, |error| ≤ 1.5e-7 — the formula PyTorch's vectorised CPU
//        erf (and so its GELU) uses.

@inline(__always)
func fastExp(_ x: Float) -> Float {
    let x = Swift.max(Swift.min(x, 88.72), -87.33)
    // k = round(x / ln2) by adding 1.5·2²³: the sum's low mantissa bits then hold k itself.
    let shifted = x * 1.44269504088896341 + 12582912
    let k = shifted - 12582912
    let r = x - k * 0.693359375 + k * 2.12194440e-4  // ln 2 in two parts, so k·ln2 is exact enough
    var p: Float = 1.9875691500e-4
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let y = p * r * r + r + 1
    let twoToK = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
    return y * twoToK
}

@inline(__always)
func fastErf(_ x: Float) -> Float {
    let a = Float(bitPattern: x.bitPattern & 0x7FFF_FFFF)
    let t = 1 / (1 + 0.3275911 * a)
    var p: Float = 1.061405429
    p = p * t - 1.453152027
    p = p * t + 1.421413741
    p = p * t - 0.284496736
    p = p * t + 0.254829592
    let y = 1 - p * t * fastExp(-a * a)
    return Float(bitPattern: y.bitPattern | (x.bitPattern & 0x8000_0000))
}

/// Σ x[i] over n floats, eight partial sums at a time (a plain loop's sum is one serial chain:
/// the compiler keeps Float additions in order).
@inline(__always)
func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var partial = SIMD8<Float>(), i = 0
    while i + 8 <= n { partial += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self); i += 8 }
    var total = partial.sum()
    while i < n { total += x[i]; i += 1 }
    return total
}

/// Σ x[i]·y[i] over n floats, eight partial sums at a time.
@inline(__always)
func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
    var partial = SIMD8<Float>(), i = 0
    while i + 8 <= n {
        partial += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) * UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
        i += 8
    }
    var total = partial.sum()
    while i < n { total += x[i] * y[i]; i += 1 }
    return total
}

/// The largest of n floats, in eight independent running maxima (one chain of compares would
/// wait on each; SIMD8's pointwiseMax compiled to a lane loop): 3x faster, measured.
@inline(__always)
func maximum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var m0 = -Float.infinity, m1 = m0, m2 = m0, m3 = m0, m4 = m0, m5 = m0, m6 = m0, m7 = m0
    var i = 0
    while i + 8 <= n {
        m0 = x[i] > m0 ? x[i] : m0; m1 = x[i + 1] > m1 ? x[i + 1] : m1
        m2 = x[i + 2] > m2 ? x[i + 2] : m2; m3 = x[i + 3] > m3 ? x[i + 3] : m3
        m4 = x[i + 4] > m4 ? x[i + 4] : m4; m5 = x[i + 5] > m5 ? x[i + 5] : m5
        m6 = x[i + 6] > m6 ? x[i + 6] : m6; m7 = x[i + 7] > m7 ? x[i + 7] : m7
        i += 8
    }
    var top = max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))
    while i < n { top = max(top, x[i]); i += 1 }
    return top
}
