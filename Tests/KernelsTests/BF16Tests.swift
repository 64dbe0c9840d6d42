import Foundation
import Kernels
import Testing

/// CKernels' bfloat16 product and the CPU check. The product runs only on a CPU with
/// AVX512-BF16; elsewhere these tests say they were skipped.
@Suite struct BF16Tests {
    static let supported = BLAS.bf16Supported

    /// Round to nearest, ties to even, on the 16 bits kept (written here from the definition).
    static func rounded(_ x: Float) -> Float {
        let bits = x.bitPattern, lower = bits & 0xffff, upper = bits >> 16
        let up = lower > 0x8000 || (lower == 0x8000 && upper & 1 == 1)
        return Float(bitPattern: (upper + (up ? 1 : 0)) << 16)
    }

    @Test func roundingIsToNearestEven() {
        for x: Float in [1, -1, 0, 1.00390625, 1.001953125, 1.005859375, 3.1415927, -2.7182817, 1e-30, 6.5e4, Float.greatestFiniteMagnitude / 2] {
            #expect(bf16Rounded(x) == Self.rounded(x), "\(x): \(bf16Rounded(x)), expected \(Self.rounded(x))")
        }
        // 1 + 2⁻⁸ lies halfway between 1 and 1 + 2⁻⁷: the even neighbour (1) wins.
        #expect(bf16Rounded(1.00390625) == 1)
        #expect(bf16Rounded(1.005859375) == 1.0078125)
    }

    /// Against the triple loop on the bf16-rounded operands, every transpose combination, on
    /// shapes that leave partial tiles in each direction (the kernel's tile is 12×32, its k
    /// block 384) and odd k. With rounded operands every product is exact in fp32 (8-bit
    /// mantissas), so the only difference is the order of fp32 sums: ~1e-6 relative of k terms
    /// of magnitude ≤ 1 (k ≤ 800: 1e-4 absolute leaves room).
    @Test(arguments: [(1, 1, 1), (3, 5, 7), (13, 33, 1), (12, 32, 2), (25, 70, 33), (64, 31, 67), (40, 17, 800)])
    func productMatchesReference(m: Int, n: Int, k: Int) throws {
        guard Self.supported else {
            print("skipped: this CPU (\(CPU.model)) has no AVX512-BF16, so the bf16 product cannot run here")
            return
        }
        let values = TestMatrices.values(m * k + k * n, seed: 11)
        let a = Array(values[..<(m * k)]), b = Array(values[(m * k)...])
        let expected = referenceMatmul(m: m, n: n, k: k, a: a.map(bf16Rounded), b: b.map(bf16Rounded))
        for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
            let aa = transA ? TestMatrices.transposed(a, rows: m, columns: k) : a
            let bb = transB ? TestMatrices.transposed(b, rows: k, columns: n) : b
            var c = [Float](repeating: 0.5, count: m * n)
            BLAS.product(.bf16, m: m, n: n, k: k, a: aa, transA: transA, b: bb, transB: transB, c: &c)
            let worst = zip(c, expected).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-4, "m=\(m) n=\(n) k=\(k) transA=\(transA) transB=\(transB): largest difference \(worst)")
            var added = [Float](repeating: 0.5, count: m * n)
            BLAS.product(.bf16, m: m, n: n, k: k, a: aa, transA: transA, b: bb, transB: transB, c: &added, beta: 1)
            let worstAdded = zip(added, expected).map { abs($0 - ($1 + 0.5)) }.max()!
            #expect(worstAdded < 1e-4, "beta 1: largest difference \(worstAdded)")
        }
    }

    /// Unrounded operands: the error is bf16's, about 2⁻⁹ of each operand, so a sum of k products
    /// of magnitude ≤ 1 errs by at most ~k·2⁻⁸ and typically √k·2⁻⁹ — far above fp32's, far below
    /// a wrong index (which errs by the size of the sum).
    @Test func productIsCloseToFP32() throws {
        guard Self.supported else {
            print("skipped: this CPU (\(CPU.model)) has no AVX512-BF16")
            return
        }
        let m = 50, n = 45, k = 300
        let a = (0..<(m * k)).map { Float(sin(Double($0) * 0.37)) }, b = (0..<(k * n)).map { Float(cos(Double($0) * 0.11)) }
        let exact = referenceMatmul(m: m, n: n, k: k, a: a, b: b)
        var c = [Float](repeating: 0, count: m * n)
        BLAS.product(.bf16, m: m, n: n, k: k, a: a, b: b, c: &c)
        let worst = zip(c, exact).map { abs($0 - $1) }.max()!
        #expect(worst > 1e-4 && worst < 0.5, "largest difference \(worst) (bf16 should differ from fp32, a little)")
    }

    @Test func cpuCheck() {
        // The machines this runs on have AVX2 and FMA (the kernels would not have run otherwise).
        #expect(CPU.hasAVX2AndFMA)
        #expect(CPU.refusal(command: "train") == nil)
        let refusal = CPU.refusal(hasAVX2AndFMA: false, model: "Intel(R) Atom(TM) CPU N270", command: "train")
        #expect(refusal == "curate train needs a CPU with AVX2 and FMA (Intel since Haswell, 2013; AMD since Excavator, 2015); this one (Intel(R) Atom(TM) CPU N270) has not both: run it on another machine")
        #expect(!CPU.model.contains("\u{0}"))
    }
}
