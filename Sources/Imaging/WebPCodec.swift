import CLibWebP

/// The only caller of libwebp and libwebpdemux.
enum WebPCodec {
    /// WebPGetFeatures, then WebPDecodeRGBInto (opaque), WebPDecodeRGBAInto (alpha, composited
    /// on white here) or, for an animation, WebPAnimDecoderGetNext for the first frame.
    static func decode(_ bytes: UnsafeRawBufferPointer, options: DecodeOptions) throws -> RGBImage {
        let data = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var features = WebPBitstreamFeatures()
        let status = WebPGetFeatures(data, bytes.count, &features)
        guard status == VP8_STATUS_OK else { throw failure(status, stage: "the header") }
        let width = Int(features.width), height = Int(features.height)
        try ImageDecoder.checkPixelLimit(.webp, width: width, height: height, options: options)
        if features.has_animation != 0 { return try firstFrame(bytes, width: width, height: height) }

        if features.has_alpha == 0 {
            var ok = false
            let image = RGBImage.uninitialized(width: width, height: height) { rgb in
                ok = WebPDecodeRGBInto(data, bytes.count, rgb.baseAddress, rgb.count, Int32(width * 3)) != nil
            }
            guard ok else { throw ImagingError.corrupt(.webp, message: "WebPDecodeRGBInto failed on the image data") }
            return image
        }
        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        let ok = rgba.withUnsafeMutableBufferPointer { WebPDecodeRGBAInto(data, bytes.count, $0.baseAddress, $0.count, Int32(width * 4)) != nil }
        guard ok else { throw ImagingError.corrupt(.webp, message: "WebPDecodeRGBAInto failed on the image data") }
        return rgba.withUnsafeBufferPointer { src in
            RGBImage.uninitialized(width: width, height: height) { compositeOnWhite(rgba: src, into: $0, pixels: width * height) }
        }
    }

    /// The first frame of an animation, as WebPAnimDecoder composes it on its canvas.
    static func firstFrame(_ bytes: UnsafeRawBufferPointer, width: Int, height: Int) throws -> RGBImage {
        var webpData = WebPData(bytes: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), size: bytes.count)
        var animOptions = WebPAnimDecoderOptions()
        guard WebPAnimDecoderOptionsInit(&animOptions) != 0 else { throw ImagingError.corrupt(.webp, message: "animation decoder version mismatch") }
        animOptions.color_mode = MODE_RGBA
        animOptions.use_threads = 0
        guard let decoder = WebPAnimDecoderNew(&webpData, &animOptions) else {
            throw ImagingError.corrupt(.webp, message: "WebPAnimDecoderNew rejected the animation")
        }
        defer { WebPAnimDecoderDelete(decoder) }
        var info = WebPAnimInfo()
        guard WebPAnimDecoderGetInfo(decoder, &info) != 0, Int(info.canvas_width) == width, Int(info.canvas_height) == height else {
            throw ImagingError.corrupt(.webp, message: "the animation's canvas does not match its header")
        }
        var frame: UnsafeMutablePointer<UInt8>? = nil
        var timestamp: Int32 = 0
        guard WebPAnimDecoderGetNext(decoder, &frame, &timestamp) != 0, let frame else {
            throw ImagingError.corrupt(.webp, message: "the animation's first frame does not decode")
        }
        let rgba = UnsafeBufferPointer(start: frame, count: width * height * 4)
        return RGBImage.uninitialized(width: width, height: height) { compositeOnWhite(rgba: rgba, into: $0, pixels: width * height) }
    }

    static func failure(_ status: VP8StatusCode, stage: String) -> ImagingError {
        switch status {
        case VP8_STATUS_NOT_ENOUGH_DATA: .truncated(.webp, what: stage)
        case VP8_STATUS_UNSUPPORTED_FEATURE: .unsupported(.webp, "a feature libwebp does not support")
        default: .corrupt(.webp, message: "libwebp status \(status.rawValue) in \(stage)")
        }
    }

    /// WebPEncodeRGB (lossy, quality 0-100) or WebPEncodeLosslessRGB.
    static func encode(_ image: RGBImage, quality: Float?) throws -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>? = nil
        let size = image.pixels.withUnsafeBufferPointer { px in
            if let quality {
                WebPEncodeRGB(px.baseAddress, Int32(image.width), Int32(image.height), Int32(image.width * 3), quality, &output)
            } else {
                WebPEncodeLosslessRGB(px.baseAddress, Int32(image.width), Int32(image.height), Int32(image.width * 3), &output)
            }
        }
        guard size > 0, let output else { throw ImagingError.encodeFailed(.webp, message: "WebPEncode returned no data") }
        defer { WebPFree(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }
}
