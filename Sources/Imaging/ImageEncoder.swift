/// The encodings curate writes.
public enum EncodedFormat: Sendable, Equatable {
    /// JPEG at quality 1-100; 4:2:0 chroma subsampling unless `chroma420` is false (then 4:4:4).
    case jpeg(quality: Int, chroma420: Bool = true)
    case png
    /// Lossy WebP at quality 0-100.
    case webp(quality: Float)
    case webpLossless
}

extension RGBImage {
    /// The image encoded as `format`.
    public func encoded(_ format: EncodedFormat) throws -> [UInt8] {
        switch format {
        case .jpeg(let quality, let chroma420): try JPEGCodec.encode(self, quality: quality, chroma420: chroma420)
        case .png: try PNGCodec.encode(self)
        case .webp(let quality): try WebPCodec.encode(self, quality: quality)
        case .webpLossless: try WebPCodec.encode(self, quality: nil)
        }
    }
}
