import CZlib

/// gzip for building test inputs (zlib, level 6, one member).
enum TestGzip {
    static func member(_ bytes: [UInt8]) -> [UInt8]? {
        var stream = z_stream()
        guard curate_deflate_init2(&stream, 6, 31) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
        var input = bytes
        let n = input.withUnsafeMutableBufferPointer { i in
            output.withUnsafeMutableBufferPointer { o -> Int in
                stream.next_in = i.baseAddress; stream.avail_in = UInt32(i.count)
                stream.next_out = o.baseAddress; stream.avail_out = UInt32(o.count)
                return deflate(&stream, Z_FINISH) == Z_STREAM_END ? o.count - Int(stream.avail_out) : -1
            }
        }
        return n < 0 ? nil : Array(output.prefix(n))
    }
}
