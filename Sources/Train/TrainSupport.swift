// What the training loop leans on: a background thread that prepares the next batches, the
// metrics log (one JSON object per line), and the progress line on a terminal.
import CurateCore
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Prepares `count` batches in order on one background thread, at most two ahead of the model.
final class BatchPrefetcher: @unchecked Sendable {
    private let ready = DispatchSemaphore(value: 0)
    private let room = DispatchSemaphore(value: 2)
    private let queue = Mutex<[Result<Trainer.Batch, Error>]>([])
    private let stop = Atomic<Bool>(false)

    init(count: Int, _ make: @escaping () throws -> Trainer.Batch) {
        nonisolated(unsafe) let make = make
        let thread = Thread { [self] in
            for _ in 0..<count {
                room.wait()
                if stop.load(ordering: .relaxed) { return }
                let result = Result { try make() }
                queue.withLock { $0.append(result) }
                ready.signal()
                if case .failure = result { return }
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    deinit { stop.store(true, ordering: .relaxed); room.signal(); room.signal() }

    func next() throws -> Trainer.Batch {
        ready.wait()
        let result = queue.withLock { $0.removeFirst() }
        room.signal()
        return try result.get()
    }
}

/// Appends one JSON object per line and flushes it, so a killed run keeps every line it printed.
final class MetricsLog {
    let handle: FileHandle
    let path: String

    init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw TrainError(message: "cannot write \(path); check the --out folder") }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    deinit { try? handle.close() }

    func write(_ line: MetricsLine) throws {
        let data = try line.encoded()
        do { try handle.write(contentsOf: data + Data("\n".utf8)) } catch {
            throw TrainError(message: "cannot write \(path): \(writeFailureReason(error)), then run again with --resume")
        }
        Fault.point()
    }
}

/// One line on standard error, rewritten in place, only when it is a terminal.
enum Progress {
    static let isTerminal = isatty(2) != 0

    static func show(step: Int, of total: Int, batch: Int, loss: Float, pairsPerSecond: Double) {
        guard isTerminal else { return }
        let width = 30, filled = total > 0 ? width * step / total : width
        let remaining = pairsPerSecond > 0 ? Int(Double((total - step) * batch) / pairsPerSecond) : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = String(format: "\r%@ step %d/%d  loss %.3f  %.1f pairs/s  ETA %d:%02d ", bar, step, total, loss, pairsPerSecond,
                          remaining / 60, remaining % 60)
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func clear() {
        guard isTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

extension Adafactor {
    /// Sets the update count after the state arenas are restored from a checkpoint.
    func restore(step: Int) { self.step = step }
}

extension AdamW {
    func restore(step: Int) { self.step = step }
}
