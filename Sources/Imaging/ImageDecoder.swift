/// Limits and hints for decoding.
public struct DecodeOptions: Sendable, Equatable {
    /// Pillow's default limit (89,478,485 px, about 90 megapixels). An image that declares more
    /// is refused as `too_many_pixels` before any pixel buffer is allocated.
    public static let defaultMaxPixels = 89_478_485

    public var maxPixels: Int
    /// When set, the caller will resize the result this way, so the decoder may return a
    /// smaller image (JPEG: libjpeg's DCT scaling, to the smallest scale still at least the
    /// resized size) and only the window of it that the resize reads (JPEG: crop and skip).
    public var target: ResizeMode?
    /// Progressive JPEGs with more scans than this are refused (a known denial-of-service input).
    public var maxJPEGScans: Int

    public init(maxPixels: Int = DecodeOptions.defaultMaxPixels, target: ResizeMode? = nil, maxJPEGScans: Int = 500) {
        self.maxPixels = maxPixels
        self.target = target
        self.maxJPEGScans = maxJPEGScans
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

    /// Decodes the whole image (at a reduced scale when `options.target` allows) with a header
    /// already probed: the filters probe first, then decode the survivors.
    public static func decode(_ bytes: UnsafeRawBufferPointer, info: ImageInfo, options: DecodeOptions) throws -> RGBImage {
        try decodeWindow(bytes, info: info, options: options, cropping: false).image
    }

    /// Decodes what `options.target` needs: possibly a reduced scale and, when `cropping`, only
    /// the window that the resize reads. Resize the result with `window.resized(mode)`.
    public static func decodeWindow(_ bytes: UnsafeRawBufferPointer, info: ImageInfo, options: DecodeOptions, cropping: Bool = true) throws -> ImageWindow {
        try checkPixelLimit(info.format, width: info.storedWidth, height: info.storedHeight, options: options)
        let image: RGBImage
        switch info.format {
        case .jpeg: return try JPEGCodec.decode(bytes, info: info, options: options, cropping: cropping)
        case .png: image = try PNGCodec.decode(bytes, options: options)
        case .webp: image = try WebPCodec.decode(bytes, options: options)
        case .gif: image = try GIFCodec.decode(bytes, options: options)
        }
        return ImageWindow(whole: image)
    }

    /// Refuses `width × height` above the limit; every codec calls this again with the size its
    /// library reports, before allocating.
    static func checkPixelLimit(_ format: ImageFormat, width: Int, height: Int, options: DecodeOptions) throws {
        guard width > 0, height > 0 else { throw ImagingError.invalidDimensions(format, width: width, height: height) }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= options.maxPixels else {
            throw ImagingError.tooManyPixels(format, width: width, height: height, limit: options.maxPixels)
        }
    }
}
