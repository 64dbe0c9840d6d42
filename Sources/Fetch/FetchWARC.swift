import Crypto
import CurateCore
import Foundation
import Zlib

/// WARC/1.1 records as curate fetch writes them: one gzip member per record, SHA-1 block and
/// payload digests in base32 (as Heritrix, wget and Common Crawl write them), a random
/// `urn:uuid` record ID and the time the exchange happened.
public enum WARCMember {
    /// One record's gzip member. Images do not compress, so level 1: the member is what
    /// WARC readers expect, at a fraction of level 6's time.
    public static func member(type: String, uri: String?, date: Date, id: String = newID(), fields: [(String, String)] = [],
                              contentType: String, block: [UInt8]) -> [UInt8] {
        var header = "WARC/1.1\r\nWARC-Type: \(type)\r\nWARC-Record-ID: \(id)\r\nWARC-Date: \(timestamp(date))\r\n"
        if let uri { header += "WARC-Target-URI: \(uri)\r\n" }
        for (name, value) in fields { header += "\(name): \(value)\r\n" }
        header += "WARC-Block-Digest: \(sha1(block))\r\nContent-Type: \(contentType)\r\nContent-Length: \(block.count)\r\n\r\n"
        return Zlib.gzip(Array(header.utf8) + block + Array("\r\n\r\n".utf8), level: 1)
    }

    public static func newID() -> String { "<urn:uuid:\(UUID().uuidString.lowercased())>" }

    /// `sha1:` and the digest in base32.
    public static func sha1(_ bytes: [UInt8]) -> String { "sha1:" + Base32.encode(Insecure.SHA1.hash(data: bytes)) }

    /// WARC-Date: UTC, to the microsecond (WARC 1.1 allows fractions of a second).
    public static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        let micros = Int((date.timeIntervalSince1970 - Double(seconds)) * 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), micros)
    }

    /// `application/warc-fields`: `name: value` lines.
    public static func fields(_ pairs: [(String, String)]) -> [UInt8] {
        Array(pairs.map { "\($0.0): \($0.1.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " "))\r\n" }.joined().utf8)
    }
}

/// The WARC files of fetch's output folder: `fetch-NNNNN.warc.gz`, each at most about
/// `maxBytes`, each starting with a `warcinfo` record. The file being written is
/// `fetch-NNNNN.warc.gz.open` until it is whole: then it is fsynced and renamed, so a final
/// name always holds a whole file. A URL's records go in with one write, ending with its
/// `metadata` record, so a file cut short by a kill loses at most the URL being written:
/// `FetchFolder.recover` cuts it back to its last whole URL on the next run.
public final class FetchWARCFiles {
    public let folder: String
    private let maxBytes: Int
    private let warcinfo: [(String, String)]
    private var handle: FileHandle?
    private var openPath = ""
    private var written = 0
    private var next: Int
    /// The files closed so far, in order.
    public private(set) var finished: [String] = []

    public init(folder: String, maxBytes: Int, warcinfo: [(String, String)]) throws {
        self.folder = folder
        self.maxBytes = max(1 << 16, maxBytes)
        self.warcinfo = warcinfo
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        next = FetchFolder.nextNumber(in: folder)
    }

    /// Appends one URL's records (whole gzip members), opening a file first when none is open.
    public func append(_ members: [UInt8]) throws {
        if handle == nil { try open() }
        try handle?.write(contentsOf: members)
        written += members.count
        Fault.point()
        if written >= maxBytes { try close() }
    }

    /// Closes the open file, if any, and gives it its final name.
    public func close() throws {
        guard let handle else { return }
        self.handle = nil
        try handle.synchronize()
        try handle.close()
        let final = String(openPath.dropLast(FetchFolder.openSuffix.count))
        guard rename(openPath, final) == 0 else {
            throw FetchError.cannotWrite(path: final, message: String(cString: strerror(errno)))
        }
        FetchFolder.syncFolder(folder)
        Fault.point()
        finished.append(final)
    }

    private func open() throws {
        let name = String(format: "fetch-%05d.warc.gz", next)
        next += 1
        openPath = folder + "/" + name + FetchFolder.openSuffix
        guard FileManager.default.createFile(atPath: openPath, contents: nil), let handle = FileHandle(forWritingAtPath: openPath) else {
            throw FetchError.cannotWrite(path: openPath, message: "cannot create the file: check that the folder is writable")
        }
        self.handle = handle
        let info = WARCMember.member(type: "warcinfo", uri: nil, date: Date(), fields: [("WARC-Filename", name)],
                                     contentType: "application/warc-fields", block: WARCMember.fields(warcinfo))
        try handle.write(contentsOf: info)
        written = info.count
    }
}

/// The output folder's files, and the recovery of a file an earlier run left open.
public enum FetchFolder {
    public static let openSuffix = ".open"

    /// The final files, in name order.
    public static func finishedFiles(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasPrefix("fetch-") && $0.hasSuffix(".warc.gz") }.sorted().map { folder + "/" + $0 }
    }

    /// Files an earlier run was writing when it stopped.
    public static func openFiles(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasPrefix("fetch-") && $0.hasSuffix(".warc.gz" + openSuffix) }.sorted().map { folder + "/" + $0 }
    }

    static func nextNumber(in folder: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let numbers = names.compactMap { name -> Int? in
            guard name.hasPrefix("fetch-") else { return nil }
            return Int(name.dropFirst("fetch-".count).prefix(5))
        }
        return (numbers.max() ?? -1) + 1
    }

    /// Keeps the first `keep` bytes of an open file (the end of its last whole URL, which the
    /// caller finds with a WARC reader) and gives it its final name; removes it when no URL is
    /// whole in it. Returns the final path, or nil when removed.
    public static func recover(_ openPath: String, keep: Int64, hasURLs: Bool) throws -> String? {
        guard hasURLs else {
            try? FileManager.default.removeItem(atPath: openPath)
            return nil
        }
        guard truncate(openPath, off_t(keep)) == 0 else {
            throw FetchError.cannotWrite(path: openPath, message: "cannot cut it back to its last whole record: \(String(cString: strerror(errno)))")
        }
        let fd = Foundation.open(openPath, O_RDONLY)
        if fd >= 0 { _ = fsync(fd); Foundation.close(fd) }
        let final = String(openPath.dropLast(openSuffix.count))
        guard rename(openPath, final) == 0 else { throw FetchError.cannotWrite(path: final, message: String(cString: strerror(errno))) }
        syncFolder((openPath as NSString).deletingLastPathComponent)
        return final
    }

    static func syncFolder(_ folder: String) {
        let fd = Foundation.open(folder, O_RDONLY)
        if fd >= 0 { _ = fsync(fd); Foundation.close(fd) }
    }
}

/// Why fetch stopped (what went wrong with one URL is a `FetchReason`, not an error).
public enum FetchError: Error, CustomStringConvertible {
    case cannotWrite(path: String, message: String)
    case badOption(String)

    public var description: String {
        switch self {
        case .cannotWrite(let path, let message): "cannot write \(path): \(message)"
        case .badOption(let message): message
        }
    }
}
