import CZlib

/// One gzip member of `bytes` (deflateInit2 with window bits 31, level 6). zlib writes mtime 0
/// and a fixed OS byte, so the same input always gives the same bytes.
func gzipMember(_ bytes: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    precondition(curate_deflate_init2(&stream, 6, 31) == Z_OK, "zlib's deflateInit2 failed: out of memory.")
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 32)
    var input = bytes
    let written = input.withUnsafeMutableBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer -> Int in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            stream.next_out = outBuffer.baseAddress
            stream.avail_out = UInt32(outBuffer.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END, "zlib's deflate did not finish in a deflateBound-sized buffer.")
            return outBuffer.count - Int(stream.avail_out)
        }
    }
    return Array(output.prefix(written))
}
