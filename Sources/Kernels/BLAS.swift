// m, n, k: the sizes of a matrix product C (m×n) = A (m×k) · B (k×n); all row-major.
import COpenBLAS

/// The only caller of OpenBLAS.
public enum BLAS {
    /// C = alpha·op(A)·op(B) + beta·C with cblas_sgemm, row-major. The leading dimensions (the
    /// distance between rows) default to packed matrices; attention passes wider ones to multiply
    /// one head's columns inside the fused q|k|v rows without copying them out.
    /// a (m,k) or (k,m) if transA, b (k,n) or (n,k) if transB -> c (m,n)
    public static func sgemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int? = nil, transA: Bool = false,
                             b: UnsafePointer<Float>, ldb: Int? = nil, transB: Bool = false,
                             c: UnsafeMutablePointer<Float>, ldc: Int? = nil, alpha: Float = 1, beta: Float = 0) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda ?? (transA ? m : k)), b, Int32(ldb ?? (transB ? k : n)),
                    beta, c, Int32(ldc ?? n))
    }

    /// The kernel OpenBLAS chose for this CPU (openblas_get_corename); print it with every figure.
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// Sets OpenBLAS's thread count (openblas_set_num_threads).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }

    /// OpenBLAS's thread count (openblas_get_num_threads).
    public static var threads: Int { Int(openblas_get_num_threads()) }
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
