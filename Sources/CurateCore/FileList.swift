import Foundation

/// Turns command-line paths into a sorted list of files: files as given, folders walked
/// recursively (hidden entries skipped). Paths that do not exist are returned as missing.
public enum FileList {
    public static func expand(_ paths: [String]) -> (files: [String], missing: [String]) {
        var files: [String] = [], missing: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { missing.append(path); continue }
            guard isDirectory.boolValue else { files.append(path); continue }
            let base = URL(fileURLWithPath: path)
            let walker = fm.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
            var found: [String] = []
            while let url = walker?.nextObject() as? URL {
                if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                    found.append(path.hasSuffix("/") ? path + relative(url, to: base) : path + "/" + relative(url, to: base))
                }
            }
            files += found.sorted()
        }
        return (files, missing)
    }

    private static func relative(_ url: URL, to base: URL) -> String {
        let full = url.standardizedFileURL.path, root = base.standardizedFileURL.path
        return full.hasPrefix(root + "/") ? String(full.dropFirst(root.count + 1)) : url.lastPathComponent
    }

    /// Reads a whole regular file, or explains in one line why it cannot. Pipes, sockets and
    /// devices are refused rather than read, so that a stray FIFO cannot block a run.
    public static func read(_ path: String) -> Result<[UInt8], FileReadError> {
        let type = (try? FileManager.default.attributesOfItem(atPath: path)[.type]) as? FileAttributeType
        guard type == .typeRegular else {
            return .failure(FileReadError(path: path, message: type == nil ? "cannot be read" : "not a regular file"))
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { return .failure(FileReadError(path: path, message: "cannot open for reading")) }
        defer { try? handle.close() }
        do {
            return .success([UInt8](try handle.readToEnd() ?? Data()))
        } catch {
            return .failure(FileReadError(path: path, message: error.localizedDescription))
        }
    }
}

/// A file that could not be read, with the path and the system's reason.
public struct FileReadError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message); check the path and its permissions" }
}
