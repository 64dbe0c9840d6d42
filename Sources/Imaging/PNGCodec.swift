import CLibPNG
import CPNGGlue
#if canImport(Glibc)
import Glibc
#endif

/// The only caller of libpng. Decoding goes through CPNGGlue (libpng's full API, because the
/// simplified one applies the file's gAMA chunk and curate keeps the stored sample values, as
/// Pillow and OpenCV do); encoding uses the simplified png_image_write_to_memory.
enum PNGCodec {
    /// Decodes to 8-bit RGB; alpha (an alpha channel or tRNS) is composited on white.
    static func decode(_ bytes: UnsafeRawBufferPointer, options: DecodeOptions) throws -> RGBImage {
        var result = curate_png_result()
        var pixels: UnsafeMutablePointer<UInt8>? = nil
        let status = curate_png_decode(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count,
                                       Int64(options.maxPixels), &pixels, &result)
        defer { free(pixels) }
        switch status {
        case Int32(CURATE_PNG_OK): break
        case Int32(CURATE_PNG_TOO_MANY_PIXELS):
            throw ImagingError.tooManyPixels(.png, width: Int(result.width), height: Int(result.height), limit: options.maxPixels)
        case Int32(CURATE_PNG_OUT_OF_MEMORY):
            throw ImagingError.corrupt(.png, message: "out of memory")
        default:
            let text = withUnsafeBytes(of: &result.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let lower = text.lowercased()
            if lower.contains("read beyond end") || lower.contains("not enough") || lower.contains("truncat") {
                throw ImagingError.truncated(.png, what: "the image data (\(text))")
            }
            throw ImagingError.corrupt(.png, message: text.isEmpty ? "libpng failed without a message" : text)
        }
        let width = Int(result.width), height = Int(result.height), count = width * height
        if result.channels == 3 {
            return RGBImage(width: width, height: height, pixels: Array(UnsafeBufferPointer(start: pixels, count: count * 3)))
        }
        let rgba = UnsafeBufferPointer(start: pixels, count: count * 4)
        return RGBImage.uninitialized(width: width, height: height) { compositeOnWhite(rgba: rgba, into: $0, pixels: count) }
    }

    /// png_image_write_to_memory: first to learn the size, then into a buffer of that size.
    static func encode(_ image: RGBImage) throws -> [UInt8] {
        try encode(image.pixels, width: image.width, height: image.height, format: UInt32(PNG_FORMAT_RGB), channels: 3)
    }

    static func encode(_ image: GrayImage) throws -> [UInt8] {
        try encode(image.pixels, width: image.width, height: image.height, format: UInt32(PNG_FORMAT_GRAY), channels: 1)
    }

    private static func encode(_ pixels: [UInt8], width: Int, height: Int, format: UInt32, channels: Int) throws -> [UInt8] {
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(width)
        png.height = UInt32(height)
        png.format = format
        let stride = Int32(width * channels)
        return try pixels.withUnsafeBytes { px in
            var size = 0
            guard png_image_write_to_memory(&png, nil, &size, 0, px.baseAddress, stride, nil) != 0 else {
                throw ImagingError.encodeFailed(.png, message: message(of: &png))
            }
            var out = [UInt8](repeating: 0, count: size)
            guard out.withUnsafeMutableBytes({ png_image_write_to_memory(&png, $0.baseAddress, &size, 0, px.baseAddress, stride, nil) }) != 0 else {
                throw ImagingError.encodeFailed(.png, message: message(of: &png))
            }
            return Array(out.prefix(size))
        }
    }

    static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
