// How the element-wise kernels and attention use both cores. OpenBLAS has its own threads for
// the large matrix products; where curate's threads run small products side by side, OpenBLAS
// gets one thread for the duration (DESIGN: two thread pools must not fight).
import Dispatch

/// The number of threads curate's own kernels use (OpenBLAS's count is set apart, in BLAS.swift).
public enum KernelThreads {
    nonisolated(unsafe) public static var count = 2
}

/// Runs `body` over 0..<total cut into one contiguous range per thread; inline when one thread
/// suffices or fewer than `grain` items would fall to each.
func parallelRanges(_ total: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    let parts = min(KernelThreads.count, total / max(grain, 1))
    if parts <= 1 { body(0..<total); return }
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            body((total * part / parts)..<(total * (part + 1) / parts))
        }
    }
}

/// Runs `body` with OpenBLAS on one thread when curate's own threads run products side by side.
func withOneBLASThread(_ body: () -> Void) {
    let before = BLAS.threads
    if KernelThreads.count > 1 && before > 1 { BLAS.setThreads(1) }
    body()
    if BLAS.threads != before { BLAS.setThreads(before) }
}
