import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One curate process at a time writes a folder: `FOLDER/.curate.lock`, held with `flock` for as
/// long as the process lives. The kernel drops the lock when its holder exits, however it exits,
/// so a killed run never blocks the next; the file's text (pid, command, start time) only names the
/// holder in the refusal. While it holds the lock a process is the folder's only curate writer, so
/// it removes the `.curate-tmp-*` files dead runs left there (`AtomicFile`'s temporaries).
public final class FolderLock {
    public struct Busy: Error, CustomStringConvertible, Sendable {
        public let folder: String
        public let holder: String
        public var description: String {
            "\(folder) is in use by another curate process (\(holder)); wait for it to finish or stop it, then run again"
        }
    }

    public let folder: String
    private let fd: Int32
    /// The stale temporary files removed when the lock was taken.
    public private(set) var removedTemporaries: [String] = []

    /// Takes the lock of `folder` (created when missing) or throws `Busy` at once, naming the
    /// process that holds it; `AtomicFile.WriteError` when the folder or lock file cannot be made.
    public init(_ folder: String, command: String = CommandLine.arguments.joined(separator: " ")) throws {
        self.folder = folder
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw AtomicFile.WriteError(path: folder, message: "cannot create the folder (\(writeFailureReason(error)))")
        }
        let path = folder + "/.curate.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw AtomicFile.WriteError(path: path, message: "cannot create the lock file (\(String(cString: strerror(errno))))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            close(fd)
            throw Busy(folder: folder, holder: text.isEmpty ? "its pid is not yet written" : text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        self.fd = fd
        let note = "pid \(getpid()): \(command), since \(ISO8601DateFormatter().string(from: Date()))\n"
        _ = ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
        removedTemporaries = Self.removeTemporaries(in: folder)
    }

    deinit {
        _ = ftruncate(fd, 0)
        close(fd)  // releases the flock
    }

    /// Removes `.curate-tmp-*` entries directly in `folder` (files, or folders a dead run was
    /// filling) and returns their names.
    static func removeTemporaries(in folder: String) -> [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix(AtomicFile.temporaryPrefix) }
        for name in names { try? FileManager.default.removeItem(atPath: folder + "/" + name) }
        return names.sorted()
    }
}
