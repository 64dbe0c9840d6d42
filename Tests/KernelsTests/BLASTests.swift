import Kernels
import Testing

@Suite struct BLASTests {
    /// cblas_sgemm against the naive triple loop, on odd shapes and every transpose combination.
    /// Tolerance: fp32 sums of k ≤ 67 products of values in [-1, 1] differ from the Double-accumulated
    /// reference by at most a few ulps of the magnitude (~1e-5); 1e-4 leaves room for BLAS's summation order.
    @Test(arguments: [(1, 1, 1), (3, 5, 7), (17, 9, 33), (64, 31, 67)])
    func sgemmMatchesReference(m: Int, n: Int, k: Int) {
        let values = TestMatrices.values(m * k + k * n, seed: 7)
        let a = Array(values[..<(m * k)]), b = Array(values[(m * k)...])
        let expected = referenceMatmul(m: m, n: n, k: k, a: a, b: b)
        for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
            let aa = transA ? TestMatrices.transposed(a, rows: m, columns: k) : a
            let bb = transB ? TestMatrices.transposed(b, rows: k, columns: n) : b
            var c = [Float](repeating: 0, count: m * n)
            BLAS.sgemm(m: m, n: n, k: k, a: aa, transA: transA, b: bb, transB: transB, c: &c)
            let worst = zip(c, expected).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-4, "m=\(m) n=\(n) k=\(k) transA=\(transA) transB=\(transB): largest difference \(worst)")
        }
    }

    @Test func betaAccumulates() {
        var c: [Float] = [1, 1, 1, 1]
        BLAS.sgemm(m: 2, n: 2, k: 1, a: [1, 2], b: [3, 4], c: &c, beta: 1)
        #expect(c == [4, 5, 7, 9])
    }

    @Test func coreNameIsReported() {
        #expect(!BLAS.coreName.isEmpty)
    }
}
