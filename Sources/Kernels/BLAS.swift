// m, n, k: the sizes of a matrix product C (m×n) = A (m×k) · B (k×n); all row-major.
import CKernels
import COpenBLAS

/// The arithmetic of the large matrix products (the linear layers, forward and backward).
public enum Precision: String, Codable, Sendable, CaseIterable {
    case fp32
    /// bfloat16 operands (rounded as they are packed), fp32 products and sums: CKernels'
    /// AVX512-BF16 kernel, since Debian's OpenBLAS is built without cblas_sbgemm.
    case bf16
}

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

    /// C = op(A)·op(B) (+ C when beta is 1) in `precision`: cblas_sgemm for fp32, CKernels'
    /// curate_bf16_gemm for bf16 (one thread, like sgemm here: the callers cut the rows).
    public static func product(_ precision: Precision, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, transA: Bool = false,
                               b: UnsafePointer<Float>, transB: Bool = false, c: UnsafeMutablePointer<Float>, beta: Float = 0) {
        switch precision {
        case .fp32:
            sgemm(m: m, n: n, k: k, a: a, transA: transA, b: b, transB: transB, c: c, beta: beta)
        case .bf16:
            precondition(bf16Supported, "bf16 products need AVX512-BF16; the trainer checks before it starts.")
            curate_bf16_gemm(transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(n), Int32(k), a, Int32(transA ? m : k),
                             b, Int32(transB ? k : n), beta, c, Int32(n))
        }
    }

    /// Whether this CPU runs the bf16 kernel (AVX512F, AVX512BW and AVX512_BF16).
    public static let bf16Supported = curate_bf16_supported() != 0

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

/// x rounded to bfloat16 and back (to nearest, ties to even): what a bf16 product multiplies.
public func bf16Rounded(_ x: Float) -> Float { curate_bf16_round(x) }

/// What the CPU runs, asked before any of the Kernels target's code (compiled for AVX2 and FMA).
public enum CPU {
    /// AVX2 and FMA, which the Kernels target is compiled for (-target-cpu haswell).
    public static var hasAVX2AndFMA: Bool { curate_cpu_has_avx2_fma() != 0 }

    /// The CPU's brand string, as cpuid gives it ("" where it does not).
    public static var model: String {
        var bytes = [CChar](repeating: 0, count: 49)
        curate_cpu_model(&bytes)
        return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).trimmed()
    }

    /// The one-line refusal for a CPU that lacks what curate's kernels need, nil when it has it.
    public static func refusal(hasAVX2AndFMA: Bool = hasAVX2AndFMA, model: String = model, command: String) -> String? {
        guard !hasAVX2AndFMA else { return nil }
        return "curate \(command) needs a CPU with AVX2 and FMA (Intel since Haswell, 2013; AMD since Excavator, 2015); this one (\(model.isEmpty ? "unknown model" : model)) has not both: run it on another machine"
    }
}

extension String {
    /// Without the spaces cpuid pads the brand string with.
    fileprivate func trimmed() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
