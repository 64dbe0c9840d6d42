// zlib and libdeflate, for every target that inflates or deflates (Crawl's WARC members and
// HTTP bodies, Synth's WARC writer): the one caller of both C APIs.
import CLibDeflate
import CZlib

/// Whole gzip members decompressed at once with libdeflate, which is about twice as fast as
/// zlib's streaming inflate on WARC records (it needs the whole member in memory, and the room
/// for its output: the caller falls back to `Inflater` when it has not).
public final class GzipMemberDecompressor {
    private let decompressor: OpaquePointer

    public init() {
        guard let d = libdeflate_alloc_decompressor() else { preconditionFailure("libdeflate_alloc_decompressor failed: out of memory.") }
        decompressor = d
    }

    deinit { libdeflate_free_decompressor(decompressor) }

    public enum Result: Equatable, Sendable {
        /// The member's compressed length and its decompressed length.
        case member(used: Int, produced: Int)
        /// The output did not fit in `output`.
        case needsMoreRoom
        /// Not a whole, valid member in `input` (damaged, or cut short by the end of `input`).
        case notWhole
    }

    /// Decompresses the gzip member that starts `input` into `output`.
    public func decompress(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>) -> Result {
        guard let source = input.baseAddress, let target = output.baseAddress else { return .notWhole }
        var used = 0, produced = 0
        let status = libdeflate_gzip_decompress_ex(decompressor, source, input.count, target, output.count, &used, &produced)
        switch status {
        case LIBDEFLATE_SUCCESS: return .member(used: used, produced: produced)
        case LIBDEFLATE_INSUFFICIENT_SPACE: return .needsMoreRoom
        default: return .notWhole
        }
    }
}

/// A zlib inflate stream, fed by the caller in pieces (`z_stream` with inflateInit2).
public final class Inflater {
    private var stream = z_stream()
    private let windowBits: Int32

    /// What one `inflate` call reached.
    public enum Status: Equatable, Sendable {
        /// Progress made; more input or output room needed (Z_OK).
        case progress
        /// No progress possible with this input (Z_BUF_ERROR): the data is cut short if no more comes.
        case stalled
        /// The end of the stream (a gzip member, a zlib stream) (Z_STREAM_END).
        case end
        /// The data is not what windowBits says, with zlib's message.
        case failed(String)
    }

    /// windowBits as inflateInit2 takes them: 31 gzip, 47 gzip or zlib, 15 zlib, -15 raw deflate.
    public init(windowBits: Int32) {
        self.windowBits = windowBits
        precondition(curate_inflate_init2(&stream, windowBits) == Z_OK, "zlib's inflateInit2 failed: out of memory.")
    }

    deinit { inflateEnd(&stream) }

    /// Inflates from `input` into `output`; returns the status, the input bytes used and the output bytes written.
    public func inflate(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>) -> (status: Status, used: Int, produced: Int) {
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
        stream.avail_in = UInt32(input.count)
        stream.next_out = output.baseAddress
        stream.avail_out = UInt32(output.count)
        let code = CZlib.inflate(&stream, Z_NO_FLUSH)
        let used = input.count - Int(stream.avail_in), produced = output.count - Int(stream.avail_out)
        let status: Status = switch code {
        case Z_OK: .progress
        case Z_BUF_ERROR: .stalled
        case Z_STREAM_END: .end
        default: .failed(stream.msg.map { String(cString: $0) } ?? "zlib status \(code)")
        }
        return (status, used, produced)
    }

    /// Starts a new stream (the next gzip member) with the same settings (inflateReset).
    public func reset() { inflateReset(&stream) }
}

public enum Zlib {
    /// One gzip member of `bytes` (deflateInit2 with window bits 31). zlib writes mtime 0 and a
    /// fixed OS byte, so the same input always gives the same bytes.
    public static func gzip(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        precondition(curate_deflate_init2(&stream, level, 31) == Z_OK, "zlib's deflateInit2 failed: out of memory.")
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
}

extension Zlib {
    /// An HTTP body's content coding undone: gzip (possibly several members) or deflate
    /// (zlib-wrapped, or raw as some servers send it). nil when it does not inflate or would pass
    /// `limit` bytes (a gzip bomb guard, checked before each append); a stream cut short keeps
    /// what inflated.
    public static func inflateContent(_ data: [UInt8], deflate: Bool, limit: Int) -> [UInt8]? {
        if deflate { return inflate(data, windowBits: 15, limit: limit) ?? inflate(data, windowBits: -15, limit: limit) }
        return inflate(data, windowBits: 47, limit: limit)
    }

    private static func inflate(_ data: [UInt8], windowBits: Int32, limit: Int) -> [UInt8]? {
        let inflater = Inflater(windowBits: windowBits)
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var offset = 0
        return data.withUnsafeBufferPointer { inBuf -> [UInt8]? in
            while true {
                let (status, used, produced) = chunk.withUnsafeMutableBufferPointer { outBuf in
                    inflater.inflate(UnsafeBufferPointer(rebasing: inBuf[offset...]), into: outBuf)
                }
                offset += used
                if out.count + produced > limit { return nil }
                out.append(contentsOf: chunk[0..<produced])
                switch status {
                case .end:
                    // Another gzip member may follow.
                    if inBuf.count - offset > 1, windowBits == 47, inBuf[offset] == 0x1f, inBuf[offset + 1] == 0x8b {
                        inflater.reset()
                        continue
                    }
                    return out
                case .progress: continue
                case .stalled: return out.isEmpty ? nil : out   // cut short: keep what inflated
                case .failed: return out.isEmpty ? nil : (windowBits == 47 ? out : nil)
                }
            }
        }
    }
}
