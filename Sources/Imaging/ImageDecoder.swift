/// Limits and hints for decoding.
public struct DecodeOptions: Sendable, Equatable {
    /// Pillow's default limit (89,478,485 px, about 90 megapixels). An image that declares more
    /// is refused as `too_many_pixels` before any pixel buffer is allocated.
    public static let defaultMaxPixels = 89_478_485

    public var maxPixels: Int
    /// When set, the caller will downscale to at least this displayed size, so the decoder may
    /// return a smaller image than the original as long as both sides stay at or above it
    /// (libjpeg's DCT scaling does this for JPEG, the main speed-up of thumbnailing).
    public var minimumSize: (width: Int, height: Int)?
    /// Progressive JPEGs with more scans than this are refused (a known denial-of-service input).
    public var maxJPEGScans: Int

    public init(maxPixels: Int = DecodeOptions.defaultMaxPixels, minimumSize: (width: Int, height: Int)? = nil, maxJPEGScans: Int = 500) {
        self.maxPixels = maxPixels
        self.minimumSize = minimumSize
        self.maxJPEGScans = maxJPEGScans
    }

    public static func == (a: DecodeOptions, b: DecodeOptions) -> Bool {
        a.maxPixels == b.maxPixels && a.maxJPEGScans == b.maxJPEGScans
            && a.minimumSize?.width == b.minimumSize?.width && a.minimumSize?.height == b.minimumSize?.height
    }
}

/// Decodes PNG, JPEG, WebP and GIF to 8-bit RGB, upright (EXIF orientation applied) and with
/// any transparency composited on white. Throws `ImagingError`; never traps on bad data.
public enum ImageDecoder {
    public static func decode(_ bytes: UnsafeRawBufferPointer, options: DecodeOptions = DecodeOptions()) throws -> RGBImage {
        try decode(bytes, info: ImageProbe.probe(bytes), options: options)
    }

    public static func decode(_ bytes: [UInt8], options: DecodeOptions = DecodeOptions()) throws -> RGBImage {
        try bytes.withUnsafeBytes { try decode($0, options: options) }
    }

    /// Decodes with a header already probed (the filters probe first, then decode the survivors).
    public static func decode(_ bytes: UnsafeRawBufferPointer, info: ImageInfo, options: DecodeOptions) throws -> RGBImage {
        try checkPixelLimit(info.format, width: info.storedWidth, height: info.storedHeight, options: options)
        switch info.format {
        case .jpeg: return try JPEGCodec.decode(bytes, info: info, options: options)
        case .png: return try PNGCodec.decode(bytes, options: options)
        case .webp: return try WebPCodec.decode(bytes, options: options)
        case .gif: return try GIFCodec.decode(bytes, options: options)
        }
    }

    /// Refuses `width × height` above the limit; every codec calls this again with the size its
    /// library reports, before allocating.
    static func checkPixelLimit(_ format: ImageFormat, width: Int, height: Int, options: DecodeOptions) throws {
        guard width > 0, height > 0 else { throw ImagingError.invalidDimensions(format, width: width, height: height) }
        guard width.multipliedReportingOverflow(by: height).partialValue <= options.maxPixels,
              width <= options.maxPixels, height <= options.maxPixels else {
            throw ImagingError.tooManyPixels(format, width: width, height: height, limit: options.maxPixels)
        }
    }
}
