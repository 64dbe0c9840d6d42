import CLibPNG

/// The only caller of libpng. It uses the simplified png_image_* API, which reports errors in
/// `png_image.message` instead of longjmp and handles every bit depth, palette, grey, alpha,
/// 16-bit and interlaced images itself.
enum PNGCodec {
    /// png_image_begin_read_from_memory, then png_image_finish_read into 8-bit RGB with white
    /// as the background: libpng composites any alpha onto it.
    static func decode(_ bytes: UnsafeRawBufferPointer, options: DecodeOptions) throws -> RGBImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count) != 0 else {
            throw failure(&image, stage: "the header")
        }
        let width = Int(image.width), height = Int(image.height)
        do {
            try ImageDecoder.checkPixelLimit(.png, width: width, height: height, options: options)
        } catch {
            png_image_free(&image)
            throw error
        }
        image.format = UInt32(PNG_FORMAT_RGB)
        var background = png_color(red: 255, green: 255, blue: 255)
        var failed = false
        let result = RGBImage.uninitialized(width: width, height: height) { buffer in
            failed = png_image_finish_read(&image, &background, buffer.baseAddress, Int32(width * 3), nil) == 0
        }
        if failed { throw failure(&image, stage: "the image data") }
        return result
    }

    /// png_image_write_to_memory: first to learn the size, then into a buffer of that size.
    static func encode(_ image: RGBImage) throws -> [UInt8] {
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = UInt32(PNG_FORMAT_RGB)
        return try image.pixels.withUnsafeBytes { px in
            var size = 0
            guard png_image_write_to_memory(&png, nil, &size, 0, px.baseAddress, Int32(image.width * 3), nil) != 0 else {
                throw ImagingError.encodeFailed(.png, message: message(of: &png))
            }
            var out = [UInt8](repeating: 0, count: size)
            guard out.withUnsafeMutableBytes({ png_image_write_to_memory(&png, $0.baseAddress, &size, 0, px.baseAddress, Int32(image.width * 3), nil) }) != 0 else {
                throw ImagingError.encodeFailed(.png, message: message(of: &png))
            }
            return Array(out.prefix(size))
        }
    }

    /// Turns libpng's message into an error (libpng frees the image's memory when it fails).
    static func failure(_ image: inout png_image, stage: String) -> ImagingError {
        let text = message(of: &image)
        png_image_free(&image)
        let lower = text.lowercased()
        if lower.contains("eof") || lower.contains("truncat") || lower.contains("not enough") || lower.contains("read beyond end") {
            return .truncated(.png, what: "\(stage) (\(text))")
        }
        return .corrupt(.png, message: text.isEmpty ? "libpng failed without a message" : text)
    }

    static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
