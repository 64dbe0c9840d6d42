import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Deterministic kill points for the resume tests and `make chaos`, set by the environment:
///
///     CURATE_FAULT=exit-after:N   the process SIGKILLs itself at its Nth fault point
///     CURATE_FAULT=stop-after:N   the process SIGSTOPs itself there (the concurrency tests hold
///                                 a run still, its locks taken, until they send SIGCONT)
///     CURATE_FAULT=count          at exit, prints "curate: fault points: N" on standard error
///
/// A fault point is a write event: each SQLite COMMIT (before and after), each atomic file write
/// (temporary file half written, written and fsynced, renamed), each training step and each
/// streamed output record. With the variable unset a point costs one relaxed atomic increment.
public enum Fault {
    enum Mode: Sendable { case off, count, exitAfter(Int), stopAfter(Int) }

    static let mode: Mode = {
        guard let value = ProcessInfo.processInfo.environment["CURATE_FAULT"], !value.isEmpty else { return .off }
        if value == "count" {
            atexit { FileHandle.standardError.write(Data("curate: fault points: \(Fault.points.load(ordering: .relaxed))\n".utf8)) }
            return .count
        }
        if value.hasPrefix("exit-after:"), let n = Int(value.dropFirst("exit-after:".count)), n >= 1 { return .exitAfter(n) }
        if value.hasPrefix("stop-after:"), let n = Int(value.dropFirst("stop-after:".count)), n >= 1 { return .stopAfter(n) }
        FileHandle.standardError.write(Data("curate: ignoring CURATE_FAULT=\(value) (use exit-after:N, stop-after:N or count)\n".utf8))
        return .off
    }()

    static let points = Atomic<Int>(0)

    /// Marks one write event; kills the process here when it is the chosen one.
    public static func point() {
        switch mode {
        case .off: return
        case .count: points.add(1, ordering: .relaxed)
        case .exitAfter(let n):
            if points.add(1, ordering: .relaxed).newValue == n { kill(getpid(), SIGKILL) }
        case .stopAfter(let n):
            if points.add(1, ordering: .relaxed).newValue == n { kill(getpid(), SIGSTOP) }
        }
    }
}
