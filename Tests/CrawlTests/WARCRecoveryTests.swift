@testable import Crawl
import CurateCore
import Foundation
import Testing

/// The WARC reader's recovery at gzip member boundaries, on hand-made files: a record cut short
/// inside its member does not swallow the record of the next member, a lying Content-Length on a
/// record too large to hold does not either, and a resynchronisation finds a WARC header at a
/// member start even when junk before it does not end a line.
struct WARCRecoveryTests {
    static func record(_ uri: String, body: String, contentLength: Int? = nil) -> [UInt8] {
        let block = Array("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n\(body)".utf8)
        let head = "WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:\(uri.hashValue)>\r\nWARC-Target-URI: \(uri)\r\n"
            + "Content-Length: \(contentLength ?? block.count)\r\n\r\n"
        return Array(head.utf8) + block + Array("\r\n\r\n".utf8)
    }

    /// The file's events: record URIs and skip reasons, in order.
    static func events(_ members: [[UInt8]], maxBlockBytes: Int = 256 << 20) throws -> [String] {
        let path = NSTemporaryDirectory() + "curate-recovery-\(getpid())-\(UUID().uuidString).warc.gz"
        defer { try? FileManager.default.removeItem(atPath: path) }
        FileManager.default.createFile(atPath: path, contents: Data(members.flatMap { TestGzip.member($0)! }))
        let reader = WARCReader(stream: try DumpStream(path: path), maxBlockBytes: maxBlockBytes)
        var out: [String] = []
        while let event = reader.next() {
            switch event {
            case .record(let r): out.append(r.field("WARC-Target-URI") ?? "?")
            case .skipped(let s): out.append(s.reason.rawValue)
            case .gap: out.append("gap")
            }
        }
        return out
    }

    @Test func aRecordCutInsideItsMemberLeavesTheNextRecord() throws {
        let cut = Array(Self.record("http://a.example/", body: String(repeating: "a", count: 3_000)).prefix(500))
        let good = Self.record("http://b.example/", body: "<p>good</p>")
        #expect(try Self.events([cut, good, good]) == ["truncated", "http://b.example/", "http://b.example/"])
        // Held (under the block limit) or skipped in steps (over it): the same recovery.
        #expect(try Self.events([cut, good], maxBlockBytes: 100) == ["truncated", "http://b.example/"])
        let lying = Self.record("http://a.example/", body: "<p>short</p>", contentLength: 1 << 30)
        #expect(try Self.events([lying, good], maxBlockBytes: 1 << 20) == ["truncated", "http://b.example/"])
    }

    @Test func resynchronisingFindsAHeaderAtAMemberStart() throws {
        let junkTail = Self.record("http://a.example/", body: "<p>a</p>") + Array(repeating: 0, count: 70_000)
        let good = Self.record("http://b.example/", body: "<p>good</p>")
        #expect(try Self.events([junkTail, good]) == ["http://a.example/", "malformed_warc_header", "http://b.example/"])
    }

    @Test func oneMemberForTheWholeFileIsNeverCut() throws {
        // A single member holding two records: no member boundary, nothing is cut.
        let two = Self.record("http://a.example/", body: "<p>a</p>") + Self.record("http://b.example/", body: "<p>b</p>")
        #expect(try Self.events([two]) == ["http://a.example/", "http://b.example/"])
    }
}
