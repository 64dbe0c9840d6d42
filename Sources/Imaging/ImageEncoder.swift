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

/// Decode, resize and encode in one call, decoding no more pixels than the result needs.
public enum Thumbnailer {
    /// Probes, decodes at the smallest scale that still covers `mode`'s result, resizes and
    /// encodes. This is the path every image takes into a shard.
    public static func thumbnail(_ bytes: UnsafeRawBufferPointer, mode: ResizeMode, format: EncodedFormat,
                                 options: DecodeOptions = DecodeOptions()) throws -> (image: RGBImage, encoded: [UInt8], info: ImageInfo) {
        let info = try ImageProbe.probe(bytes)
        var decodeOptions = options
        decodeOptions.target = mode
        let image = try ImageDecoder.decodeWindow(bytes, info: info, options: decodeOptions).resized(mode)
        return (image, try image.encoded(format), info)
    }
}
