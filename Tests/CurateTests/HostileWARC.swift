import CZlib
import Foundation

/// WARC bytes for the hostile-input tests: records, gzip members, and gzip bombs built without
/// compressing gigabytes (one self-contained deflate block of zeros, repeated).
enum HostileWARC {
    /// One WARC/1.1 record; `contentLength` overrides the true length (a lying header).
    static func record(_ type: String, uri: String, block: [UInt8], contentLength: String? = nil) -> [UInt8] {
        var head = "WARC/1.1\r\nWARC-Type: \(type)\r\nWARC-Record-ID: <urn:uuid:\(UUID().uuidString.lowercased())>\r\n"
        head += "WARC-Date: 2026-11-30T12:00:00Z\r\nWARC-Target-URI: \(uri)\r\n"
        head += "Content-Type: application/http; msgtype=response\r\nContent-Length: \(contentLength ?? String(block.count))\r\n\r\n"
        return Array(head.utf8) + block + Array("\r\n\r\n".utf8)
    }

    /// An HTTP/1.1 200 response block.
    static func http(_ contentType: String, _ body: [UInt8], fields: [String] = []) -> [UInt8] {
        Array((["HTTP/1.1 200 OK", "Content-Type: \(contentType)"] + fields).joined(separator: "\r\n").utf8) + Array("\r\n\r\n".utf8) + body
    }

    static func page(_ uri: String, _ html: String) -> [UInt8] {
        record("response", uri: uri, block: http("text/html; charset=utf-8", Array(html.utf8)))
    }

    /// The good page every hostile WARC ends with, and its one alt text.
    static let goodURL = "http://good.example/after.html"
    static let goodAlt = "a red circle beside a blue square"
    static var goodPage: [UInt8] {
        page(goodURL, "<html><head><title>Good</title></head><body><p>This page comes after the hostile record and must be catalogued.</p>"
             + "<img src=\"/red.png\" alt=\"\(goodAlt)\"></body></html>")
    }

    /// A gzip member of `bytes` (level 6).
    static func gzip(_ bytes: [UInt8]) -> [UInt8] { bomb(prefix: bytes, zeroMegabytes: 0) }

    /// One gzip member that inflates to `prefix` followed by `zeroMegabytes` MiB of zero bytes:
    /// the prefix and one MiB of zeros are each compressed up to a full flush (so the zeros' block
    /// refers to nothing before it and can be repeated), and the trailer's CRC-32 and size are
    /// those of the whole inflated stream (crc32_combine), so the member is valid, not just big.
    static func bomb(prefix: [UInt8], zeroMegabytes: Int) -> [UInt8] {
        var stream = z_stream()
        precondition(curate_deflate_init2(&stream, 6, 31) == Z_OK, "zlib's deflateInit2 failed")
        defer { deflateEnd(&stream) }
        func run(_ input: [UInt8], _ flush: Int32) -> [UInt8] {
            var input = input, out: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            input.withUnsafeMutableBufferPointer { i in
                stream.next_in = i.baseAddress
                stream.avail_in = UInt32(i.count)
                repeat {
                    let produced = chunk.withUnsafeMutableBufferPointer { o -> Int in
                        stream.next_out = o.baseAddress
                        stream.avail_out = UInt32(o.count)
                        _ = deflate(&stream, flush)
                        return o.count - Int(stream.avail_out)
                    }
                    out += chunk[0..<produced]
                } while stream.avail_out == 0
            }
            return out
        }
        let megabyte = [UInt8](repeating: 0, count: 1 << 20)
        let head = run(prefix, Z_FULL_FLUSH)
        let zeros = zeroMegabytes > 0 ? run(megabyte, Z_FULL_FLUSH) : []
        var tail = run([], Z_FINISH)
        var out = head
        for _ in 0..<max(zeroMegabytes, 0) { out += zeros }
        // The trailer deflate wrote covers the prefix and one MiB; rewrite it for the whole stream.
        var crc = prefix.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) }
        let zeroCRC = megabyte.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) }
        for _ in 0..<max(zeroMegabytes, 0) { crc = crc32_combine(crc, zeroCRC, 1 << 20) }
        let size = UInt32(truncatingIfNeeded: prefix.count + zeroMegabytes << 20)
        let trailer = withUnsafeBytes(of: UInt32(crc).littleEndian) { Array($0) } + withUnsafeBytes(of: size.littleEndian) { Array($0) }
        tail.replaceSubrange(tail.count - 8..<tail.count, with: trailer)
        return out + tail
    }
}
