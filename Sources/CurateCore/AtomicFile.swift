import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a file so that readers see either the old file or the whole new one, never a part:
/// the bytes go to a temporary name in the same folder, are fsynced, and are renamed over the
/// final name. A killed writer leaves at most a `.curate-tmp-*` file, which `rename` never exposes
/// under a final name and which the next run removes when it takes the folder's `FolderLock`.
/// Every step is a `Fault` point, so the kill tests can stop a write between any two of them.
public enum AtomicFile {
    /// The name every temporary file (and folder) of curate's starts with.
    public static let temporaryPrefix = ".curate-tmp-"

    public struct WriteError: Error, CustomStringConvertible, Sendable {
        public let path: String
        public let message: String
        /// Set when the write failed for want of space (ENOSPC or EDQUOT).
        public var diskFull = false
        public var description: String { description(rerun: "run again (the run resumes)") }
        /// The one-line error, with how the command is rerun once space is freed.
        public func description(rerun: String) -> String {
            diskFull ? "cannot write \(path): the disk is full (\(message)); free space on it and \(rerun)"
                     : "cannot write \(path): \(message); check that the folder exists and is writable"
        }
        public init(path: String, message: String, diskFull: Bool = false) {
            self.path = path
            self.message = message
            self.diskFull = diskFull
        }
    }

    public static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/" + temporaryPrefix + "\(getpid())-" + url.lastPathComponent
        func failure(_ what: String) -> WriteError {
            let code = errno
            return WriteError(path: path, message: "\(what) (\(String(cString: strerror(code))))", diskFull: code == ENOSPC || code == EDQUOT)
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot create a temporary file beside it") }
        var ok = false
        defer { if !ok { unlink(temporary) } }
        // In two halves, so that a kill test can stop the write with a part of the file on disk.
        for range in [0..<bytes.count / 2, bytes.count / 2..<bytes.count] {
            var written = range.lowerBound
            while written < range.upperBound {
                let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, range.upperBound - written) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { let error = failure("write failed"); close(fd); throw error }
                written += n
            }
            if range.lowerBound == 0 { Fault.point() }  // part written
        }
        guard fsync(fd) == 0 else { let error = failure("fsync failed"); close(fd); throw error }
        guard close(fd) == 0 else { throw failure("close failed") }
        Fault.point()  // whole, not yet renamed
        guard rename(temporary, path) == 0 else { throw failure("rename failed") }
        ok = true
        Fault.point()  // renamed
        let folderFD = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderFD >= 0 { _ = fsync(folderFD); close(folderFD) }  // the rename itself, durable
    }
}

/// Why a Foundation write failed, in words: "the disk is full" when it ran out of space
/// (NSFileWriteOutOfSpaceError, or an underlying ENOSPC/EDQUOT), else the error's own description.
public func writeFailureReason(_ error: Error) -> String {
    let ns = error as NSError
    let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError
    let posix = [ns, underlying].compactMap { $0 }.filter { $0.domain == NSPOSIXErrorDomain }.map(\.code)
    if ns.code == NSFileWriteOutOfSpaceError || posix.contains(Int(ENOSPC)) || posix.contains(Int(EDQUOT)) {
        return "the disk is full (No space left on device); free space on it"
    }
    return ns.localizedDescription
}
