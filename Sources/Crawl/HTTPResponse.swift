import Zlib
import CurateCore

/// An HTTP response from a WARC `response` record: status, header fields, and the payload with
/// chunked transfer coding and gzip/deflate content coding undone.
package struct HTTPResponse {
    var status: Int
    var fields: [(name: String, value: String)]
    package var body: [UInt8]
    /// What was done to the body: `chunked`, `gzip`, `deflate` (in order), empty for identity.
    var decodings: [String] = []

    package func field(_ name: String) -> String? {
        fields.first { $0.name.equalsIgnoringCase(name) }?.value
    }

    /// The media type of Content-Type, lower-cased, without parameters.
    var mediaType: String? { field("Content-Type").map(MediaType.essence) }
    /// The charset parameter of Content-Type, if any.
    package var charset: String? { field("Content-Type").flatMap(MediaType.charset) }

    /// Decoded bodies larger than this are refused as `bad_content_encoding` (a gzip bomb guard:
    /// checked before each append, so no more than this is ever held).
    static let maxDecodedBytes = 64 << 20

    /// Parses `block` (status line, fields, blank line, body). Failures carry their reason.
    package static func parse(_ block: [UInt8]) -> Result<HTTPResponse, CrawlSkipReason> {
        guard block.starts(with: "HTTP/".utf8) else { return .failure(.init(.malformedHTTP, "the block does not start with an HTTP status line")) }
        guard let headerEnd = blankLine(in: block) else { return .failure(.init(.malformedHTTP, "no blank line after the HTTP header fields")) }
        let head = String(decoding: block[..<headerEnd.fieldsEnd], as: UTF8.self)
        var lines = head.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, let status = Int(statusLine[1]), (100...999).contains(status) else {
            return .failure(.init(.malformedHTTP, "bad HTTP status line"))
        }
        var response = HTTPResponse(status: status, fields: headerFields(lines), body: Array(block[headerEnd.bodyStart...]))
        if let transfer = response.field("Transfer-Encoding")?.lowercased(), transfer.contains("chunked") {
            // Some crawlers store the body already de-chunked but keep the header: only undo
            // chunking when the body starts like a chunk-size line.
            if let dechunked = dechunk(response.body) {
                response.body = dechunked
                response.decodings.append("chunked")
            }
        }
        if let coding = response.field("Content-Encoding")?.lowercased().trimmingSpaces, !coding.isEmpty {
            for part in coding.split(separator: ",").map({ $0.trimmingSpaces }) where part != "identity" && part != "none" {
                switch part {
                case "gzip", "x-gzip", "deflate":
                    // A body stored decoded under a kept Content-Encoding header passes as it is.
                    let looksCoded = part == "deflate" || response.body.starts(with: [0x1f, 0x8b])
                    guard looksCoded else { continue }
                    guard let inflated = inflateBody(response.body, deflate: part == "deflate") else {
                        return .failure(.init(.badContentEncoding, "Content-Encoding \(part) body does not inflate"))
                    }
                    response.body = inflated
                    response.decodings.append(part == "deflate" ? "deflate" : "gzip")
                default:
                    return .failure(.init(.unsupportedEncoding, "Content-Encoding \(part)"))
                }
            }
        }
        return .success(response)
    }

    private static func blankLine(in block: [UInt8]) -> (fieldsEnd: Int, bodyStart: Int)? {
        var i = 0
        while i < block.count {
            if block[i] == 0x0A {
                if i + 1 < block.count && block[i + 1] == 0x0A { return (i + 1, i + 2) }
                if i + 2 < block.count && block[i + 1] == 0x0D && block[i + 2] == 0x0A { return (i + 1, i + 3) }
            }
            i += 1
        }
        // A response with fields but no body may end without the blank line.
        return block.last == 0x0A ? (block.count, block.count) : nil
    }

    /// Undoes chunked transfer coding; nil when the body is not chunked after all.
    static func dechunk(_ body: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var i = 0
        while i < body.count {
            var size = 0, digits = 0
            while i < body.count, let d = hexValue(body[i]) { size = size * 16 + d; digits += 1; i += 1; if digits > 12 { return nil } }
            guard digits > 0 else { return out.isEmpty ? nil : out }
            while i < body.count && body[i] != 0x0A { i += 1 }     // chunk extensions, CR
            i = min(i + 1, body.count)                            // a size line the body ends inside
            if size == 0 { return out }
            let end = min(body.count, i + size)                   // a cut-off last chunk keeps what is there
            out.append(contentsOf: body[i..<end])
            i = end
            while i < body.count && (body[i] == 0x0D || body[i] == 0x0A) { i += 1 }
        }
        return out
    }

    private static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: Int(b - 0x30)
        case 0x41...0x46: Int(b - 0x41 + 10)
        case 0x61...0x66: Int(b - 0x61 + 10)
        default: nil
        }
    }

    /// Inflates gzip (possibly several members) or deflate (zlib-wrapped or raw) data.
    static func inflateBody(_ data: [UInt8], deflate: Bool) -> [UInt8]? {
        Zlib.inflateContent(data, deflate: deflate, limit: maxDecodedBytes)
    }
}

/// `Name: value` lines as WARC and HTTP write them (a line starting with a space or tab continues the previous value).
func headerFields(_ lines: [Substring]) -> [(name: String, value: String)] {
    var fields: [(name: String, value: String)] = []
    for line in lines where !line.isEmpty {
        if line.first == " " || line.first == "\t", !fields.isEmpty {
            fields[fields.count - 1].value += " " + line.trimmingSpaces
        } else if let colon = line.firstIndex(of: ":") {
            fields.append((String(line[..<colon]).trimmingSpaces, String(line[line.index(after: colon)...]).trimmingSpaces))
        }
    }
    return fields
}

/// A skip reason with its detail, before the offset is known.
package struct CrawlSkipReason: Error {
    var reason: DropReason
    var detail: String
    init(_ reason: DropReason, _ detail: String) { self.reason = reason; self.detail = detail }
}

/// Content-Type parsing.
enum MediaType {
    /// `text/html; charset=UTF-8` → `text/html`.
    static func essence(_ value: String) -> String {
        value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingSpaces.lowercased() } ?? ""
    }

    /// `text/html; charset="UTF-8"` → `utf-8`.
    static func charset(_ value: String) -> String? {
        for parameter in value.split(separator: ";").dropFirst() {
            let parts = parameter.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingSpaces.lowercased() == "charset" else { continue }
            let v = parts[1].trimmingSpaces.trimming("\"'")
            return v.isEmpty ? nil : v.lowercased()
        }
        return nil
    }
}

extension String {
    func trimming(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
