/// HTTP/1.1 messages as a crawler records them in a WARC.
enum HTTPMessage {
    /// How a body travels: as is, gzip-compressed, chunked, or both.
    struct Transfer: OptionSet, Sendable {
        let rawValue: Int
        static let gzip = Transfer(rawValue: 1)
        static let chunked = Transfer(rawValue: 2)
        static let identity: Transfer = []
        var name: String {
            let parts = [contains(.gzip) ? "gzip" : nil, contains(.chunked) ? "chunked" : nil].compactMap { $0 }
            return parts.isEmpty ? "identity" : parts.joined(separator: "+")
        }
    }

    static func request(host: String, path: String) -> [UInt8] {
        Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: curate-synth/1.0 (+https://example.invalid/bot)\r\nAccept: */*\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n".utf8)
    }

    /// A 200 response. Returns the whole message and the entity body as sent (after content
    /// encoding, before chunking), which is what the WARC payload digest covers.
    static func response(contentType: String, body: [UInt8], transfer: Transfer, date: String) -> (message: [UInt8], entity: [UInt8]) {
        let entity = transfer.contains(.gzip) ? gzipMember(body) : body
        var head = "HTTP/1.1 200 OK\r\nDate: \(date)\r\nServer: nginx/1.24.0\r\nContent-Type: \(contentType)\r\n"
        if transfer.contains(.gzip) { head += "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n" }
        var payload: [UInt8]
        if transfer.contains(.chunked) {
            head += "Transfer-Encoding: chunked\r\n"
            payload = []
            var offset = 0
            var size = 1000
            while offset < entity.count {
                let n = min(size, entity.count - offset)
                payload += Array(String(n, radix: 16).utf8) + [13, 10] + entity[offset..<(offset + n)] + [13, 10]
                offset += n
                size = size * 3 / 2  // uneven chunk sizes, as servers send them
            }
            payload += Array("0\r\n\r\n".utf8)
        } else {
            head += "Content-Length: \(entity.count)\r\n"
            payload = entity
        }
        head += "Connection: close\r\n\r\n"
        return (Array(head.utf8) + payload, entity)
    }

    /// The headers of a response whose payload equals an earlier one (a WARC revisit's block).
    static func revisitHeaders(contentType: String, date: String, length: Int) -> [UInt8] {
        Array("HTTP/1.1 200 OK\r\nDate: \(date)\r\nServer: nginx/1.24.0\r\nContent-Type: \(contentType)\r\nContent-Length: \(length)\r\n\r\n".utf8)
    }
}
