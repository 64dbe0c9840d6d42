import Crypto
import CurateCore
import Foundation

/// Writes a WARC/1.1 file with one gzip member per record, as crawlers (and Common Crawl) do.
final class WARCWriter {
    private var handle: FileHandle
    private var rng: SeededRNG
    private var clock: Int
    /// The record that is cut short: its gzip member is written only in part.
    var truncateNext = false

    init(path: String, seed: UInt64) throws {
        FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else { throw SynthError.cannotWrite(path) }
        self.handle = handle
        rng = SeededRNG(seed: seed)
        clock = 1_772_366_400  // 2026-03-01T12:00:00Z: every record is a second later than the last
    }

    func close() throws { try handle.close() }

    /// Closes this file and goes on in a new one at `path`: record IDs and dates continue, so a
    /// crawl written as several files has the same records' sequence as one.
    func rotate(to path: String) throws {
        try handle.close()
        FileManager.default.createFile(atPath: path, contents: nil)
        guard let next = FileHandle(forWritingAtPath: path) else { throw SynthError.cannotWrite(path) }
        handle = next
    }

    /// A deterministic urn:uuid (version 4 layout).
    func recordID() -> String {
        let a = rng.next(), b = rng.next()
        let hex = String(format: "%016llx%016llx", a, b)
        let c = Array(hex)
        return "<urn:uuid:\(String(c[0..<8]))-\(String(c[8..<12]))-4\(String(c[13..<16]))-a\(String(c[17..<20]))-\(String(c[20..<32]))>"
    }

    func nextDate() -> String {
        clock += 1
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(clock)))
    }

    /// Writes one record; returns its ID and date (a revisit refers to them).
    @discardableResult
    func write(type: String, uri: String?, contentType: String, block: [UInt8], extra: [(String, String)] = []) throws -> (id: String, date: String) {
        let id = recordID(), date = nextDate()
        var header = "WARC/1.1\r\nWARC-Type: \(type)\r\nWARC-Record-ID: \(id)\r\nWARC-Date: \(date)\r\n"
        if let uri { header += "WARC-Target-URI: \(uri)\r\n" }
        for (name, value) in extra { header += "\(name): \(value)\r\n" }
        header += "WARC-Block-Digest: sha1:\(base32SHA1(block))\r\n"
        header += "Content-Type: \(contentType)\r\nContent-Length: \(block.count)\r\n\r\n"
        var member = gzipMember(Array(header.utf8) + block + Array("\r\n\r\n".utf8))
        if truncateNext {
            member = Array(member.prefix(member.count * 2 / 3))  // a download cut off mid-record
            truncateNext = false
        }
        try handle.write(contentsOf: member)
        return (id, date)
    }
}

/// SHA-1 in base32, as WARC digests are written.
func base32SHA1(_ bytes: [UInt8]) -> String {
    Base32.encode(Insecure.SHA1.hash(data: bytes))
}

/// Why the generator could not finish.
public enum SynthError: Error, CustomStringConvertible {
    case cannotWrite(String)
    public var description: String {
        switch self {
        case .cannotWrite(let path): "cannot write \(path): check that the folder exists and is writable"
        }
    }
}
