import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a file so that readers see either the old file or the whole new one, never a part:
/// the bytes go to a temporary name in the same folder, are fsynced, and are renamed over the
/// final name. A killed writer leaves at most a `.curate-tmp-*` file, which the next write of the
/// same name does not read and which `rename` never exposes under the final name.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible, Sendable {
        public let path: String
        public let message: String
        public var description: String { "cannot write \(path): \(message); check that the folder exists and is writable" }
    }

    public static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/.curate-tmp-\(getpid())-" + url.lastPathComponent
        func failure(_ what: String) -> WriteError { WriteError(path: path, message: "\(what) (\(String(cString: strerror(errno))))") }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot create a temporary file beside it") }
        var ok = false
        defer { if !ok { unlink(temporary) } }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { close(fd); throw failure("write failed") }
            written += n
        }
        guard fsync(fd) == 0 else { close(fd); throw failure("fsync failed") }
        close(fd)
        guard rename(temporary, path) == 0 else { throw failure("rename failed") }
        ok = true
        let folderFD = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderFD >= 0 { _ = fsync(folderFD); close(folderFD) }  // the rename itself, durable
    }
}
