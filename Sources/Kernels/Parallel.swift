// How the kernels use both cores: with curate's own threads only. OpenBLAS runs on one thread
// and each large matrix product is cut into row blocks, one per thread; element-wise kernels are
// cut the same way. Measured here: with OpenBLAS's own two threads, its idle worker spins in
// sched_yield while curate's element-wise code runs, and a quarter of a ViT-Ti step went to the
// scheduler; with one pool of threads (Dispatch's) nothing spins.
import Dispatch
import Synchronization

/// The number of threads the kernels use.
public enum KernelThreads {
    nonisolated(unsafe) public static var count = 2
    /// OpenBLAS is set to one thread once, before the first product.
    static let openBLASOnOneThread: Void = BLAS.setThreads(1)
}

/// Runs `body` over 0..<total cut into one contiguous range per thread; inline when one thread
/// suffices or fewer than `grain` items would fall to each.
func parallelRanges(_ total: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    _ = KernelThreads.openBLASOnOneThread
    let parts = min(KernelThreads.count, total / max(grain, 1))
    if parts <= 1 { body(0..<total); return }
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            body((total * part / parts)..<(total * (part + 1) / parts))
        }
    }
}

/// Scratch buffers for kernels that need a few per-thread partial sums: taken from a pool and
/// given back, so a training step allocates nothing after its first (fresh mallocs of a megabyte
/// are fresh pages from the kernel each time: measured at 3% of a step).
enum Scratch {
    /// Free buffers as (address, capacity): addresses, not pointers, so the pool is Sendable.
    private static let pool = Mutex<[(address: UInt, capacity: Int)]>([])

    static func with<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        let reused = pool.withLock { free -> (address: UInt, capacity: Int)? in
            guard let i = free.firstIndex(where: { $0.capacity >= count }) else { return nil }
            return free.remove(at: i)
        }
        let buffer = reused ?? (UInt(bitPattern: UnsafeMutablePointer<Float>.allocate(capacity: count)), count)
        defer { pool.withLock { $0.append(buffer) } }
        return body(UnsafeMutablePointer<Float>(bitPattern: buffer.address)!)
    }
}
