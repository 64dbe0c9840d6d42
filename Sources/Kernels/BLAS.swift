// m, n, k: the sizes of a matrix product C (m×n) = A (m×k) · B (k×n); all row-major.
import COpenBLAS

/// The only caller of OpenBLAS.
public enum BLAS {
    /// C = alpha·op(A)·op(B) + beta·C with cblas_sgemm, row-major.
    /// a (m,k) or (k,m) if transA, b (k,n) or (n,k) if transB -> c (m,n)
    public static func sgemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, transA: Bool = false,
                             b: UnsafePointer<Float>, transB: Bool = false, c: UnsafeMutablePointer<Float>,
                             alpha: Float = 1, beta: Float = 0) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(transA ? m : k), b, Int32(transB ? k : n),
                    beta, c, Int32(n))
    }

    /// The kernel OpenBLAS chose for this CPU (openblas_get_corename); print it with every figure.
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// Sets OpenBLAS's thread count (openblas_set_num_threads).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
}

/// The plain triple loop that tests hold the BLAS path to: c (m,n) = a (m,k) · b (k,n).
public func referenceMatmul(m: Int, n: Int, k: Int, a: [Float], b: [Float]) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var sum: Double = 0
            for p in 0..<k { sum += Double(a[i * k + p]) * Double(b[p * n + j]) }
            c[i * n + j] = Float(sum)
        }
    }
    return c
}
