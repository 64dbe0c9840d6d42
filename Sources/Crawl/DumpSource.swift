import Crypto
import CurateCore
import Foundation

/// One unit of crawl-dump's work: a WARC file, or the root of a `wget --mirror` folder.
/// A source is known by the SHA-256 of its content, so a renamed or copied dump is not read twice.
struct DumpSource {
    enum Kind: String { case warc, mirror }
    var path: String
    var kind: Kind

    /// Turns command-line paths into sources: WARC files as given; folders searched for WARC
    /// files (recognised by their first bytes, whatever their names); a folder holding no WARC
    /// file is a mirror. Files in a folder that are not WARC files are returned as `ignored`.
    static func discover(_ paths: [String]) throws -> (sources: [DumpSource], ignored: [String]) {
        var sources: [DumpSource] = [], ignored: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CrawlError.unreadable(path: path, message: "no such file or folder")
            }
            if !isDirectory.boolValue {
                guard isWARC(path) else { throw CrawlError.notADump(path: path) }
                sources.append(DumpSource(path: path, kind: .warc))
                continue
            }
            let files = FileList.expand([path]).files
            let warcs = files.filter(isWARC)
            if warcs.isEmpty {
                sources.append(DumpSource(path: path, kind: .mirror))
            } else {
                sources += warcs.map { DumpSource(path: $0, kind: .warc) }
                ignored += files.filter { !warcs.contains($0) }
            }
        }
        return (sources, ignored)
    }

    /// A file that starts with `WARC/`, or with a gzip header (whose content the reader checks).
    static func isWARC(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 5)) ?? Data())
        return head.starts(with: "WARC/".utf8) || head.starts(with: [0x1f, 0x8b])
    }

    /// The files of a mirror, relative to its root, sorted; hidden files and wget's `.orig` backups left out.
    func mirrorFiles() -> [String] {
        let root = path.hasSuffix("/") ? path : path + "/"
        return FileList.expand([path]).files.map { String($0.dropFirst(root.count)) }.filter { !$0.hasSuffix(".orig") }
    }

    /// SHA-256 of the content: the file's bytes, or for a mirror each file's relative path, size and SHA-256.
    func contentHash() throws -> (sha256: String, bytes: Int64) {
        switch kind {
        case .warc:
            return try Self.hashFile(path)
        case .mirror:
            var hasher = SHA256()
            var total: Int64 = 0
            let root = path.hasSuffix("/") ? path : path + "/"
            for file in mirrorFiles() {
                let (sha, bytes) = try Self.hashFile(root + file)
                hasher.update(data: Data("\(file)\u{0}\(bytes)\u{0}\(sha)\n".utf8))
                total += bytes
            }
            return (Hex.encode(hasher.finalize()), total)
        }
    }

    static func hashFile(_ path: String) throws -> (sha256: String, bytes: Int64) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CrawlError.unreadable(path: path, message: "cannot open for reading") }
        defer { try? handle.close() }
        var hasher = SHA256()
        var total: Int64 = 0
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            total += Int64(chunk.count)
        }
        return (Hex.encode(hasher.finalize()), total)
    }

    /// The URL `wget --mirror` fetched a file from: `HOST/dir/index.html` → `http://HOST/dir/`,
    /// `HOST/px/t.gif?p=3` → `http://HOST/px/t.gif?p=3`. wget does not record the scheme; curate
    /// writes `http`, and matches references without the scheme.
    static func mirrorURL(relativePath: String) -> String {
        var path = relativePath
        var query = ""
        if let q = path.firstIndex(of: "?") {
            query = String(path[q...])
            path = String(path[..<q])
        }
        if path.hasSuffix("/index.html") || path == "index.html" { path.removeLast("index.html".count) }
        if !path.contains("/") { path += "/" }
        return "http://" + path + query
    }
}
