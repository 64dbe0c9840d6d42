#if canImport(Glibc)
import Glibc
#endif
import CJPEGGlue

/// The only caller of libjpeg-turbo (through CJPEGGlue, which turns its longjmp errors into -1).
enum JPEGCodec {
    /// Decodes with jpeg_read_header / jpeg_start_decompress / jpeg_read_scanlines. When
    /// `options.target` allows, asks libjpeg for DCT scaling (scale_num/8) so that the inverse DCT
    /// produces a smaller image directly, and, when `cropping`, produces pixels only for the
    /// window the resize will read (jpeg_crop_scanline, jpeg_skip_scanlines). Rows below the window
    /// are still entropy-decoded, so damage anywhere in the file is reported the same way.
    /// CMYK and YCCK are converted to RGB here.
    static func decode(_ bytes: UnsafeRawBufferPointer, info: ImageInfo, options: DecodeOptions, cropping: Bool) throws -> ImageWindow {
        if let frame = info.jpegFrame {
            // libjpeg-turbo 2.1 (Debian 12) is built for 8-bit samples and has no lossless or hierarchical mode.
            if frame.precision != 8 { throw ImagingError.unsupported(.jpeg, "\(frame.precision)-bit samples") }
            if frame.isLossless { throw ImagingError.unsupported(.jpeg, "lossless JPEG (SOF\(frame.marker - 0xC0))") }
            if frame.isHierarchical { throw ImagingError.unsupported(.jpeg, "hierarchical JPEG (SOF\(frame.marker - 0xC0))") }
        }
        guard let decoder = curate_jpeg_decoder_create(Int32(options.maxJPEGScans)) else {
            throw ImagingError.corrupt(.jpeg, message: "out of memory creating a decoder")
        }
        defer { curate_jpeg_decoder_destroy(decoder) }

        func fail(_ stage: String) -> ImagingError {
            let message = libraryMessage(decoder)
            if message.contains("Premature end") || message.contains("Empty input") {
                return .truncated(.jpeg, what: stage)
            }
            if message.contains("Unsupported") { return .unsupported(.jpeg, message) }
            return .corrupt(.jpeg, message: message)
        }
        guard curate_jpeg_read_header(decoder, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt(bytes.count)) == 0 else {
            throw fail("the header")
        }
        let cinfo = curate_jpeg_cinfo(decoder)!
        let width = Int(cinfo.pointee.image_width), height = Int(cinfo.pointee.image_height)
        try ImageDecoder.checkPixelLimit(.jpeg, width: width, height: height, options: options)

        let cmyk = cinfo.pointee.jpeg_color_space == JCS_CMYK || cinfo.pointee.jpeg_color_space == JCS_YCCK
        cinfo.pointee.out_color_space = cmyk ? JCS_CMYK : JCS_RGB
        cinfo.pointee.scale_num = UInt32(scaleNumerator(width: width, height: height, info: info, options: options))
        cinfo.pointee.scale_denom = 8
        guard curate_jpeg_calc_output_dimensions(decoder) == 0, curate_jpeg_start(decoder) == 0 else { throw fail("the frame") }
        let fullW = Int(cinfo.pointee.output_width), fullH = Int(cinfo.pointee.output_height)

        // The window to produce, in output pixels: everything, or what the resize reads plus a
        // margin of 2 (libjpeg's upsampling treats a crop edge as an image edge).
        var (x, y, w, h) = (0, 0, fullW, fullH)
        if cropping, info.orientation == 1, let target = options.target {
            let needed = target.sourceWindow(width: fullW, height: fullH)
            x = max(0, needed.x.lowerBound - 2); w = min(fullW, needed.x.upperBound + 2) - x
            y = max(0, needed.y.lowerBound - 2); h = min(fullH, needed.y.upperBound + 2) - y
            if w < fullW {
                var xoffset = UInt32(x), cropWidth = UInt32(w)
                guard curate_jpeg_crop_columns(decoder, &xoffset, &cropWidth) == 0 else { throw fail("the frame") }
                (x, w) = (Int(xoffset), Int(cropWidth))
            }
        }
        let channels = Int(cinfo.pointee.output_components)
        var samples = [UInt8](repeating: 0, count: w * h * channels)
        let complete = samples.withUnsafeMutableBufferPointer { buffer -> Bool in
            let base = buffer.baseAddress!
            var skipped: UInt32 = 0
            if y > 0 { guard curate_jpeg_skip_rows(decoder, UInt32(y), &skipped) == 0, skipped == y else { return false } }
            var rows = [UnsafeMutablePointer<UInt8>?](repeating: nil, count: 16)
            var row = 0
            while row < h {
                let batch = min(16, h - row)
                for k in 0..<batch { rows[k] = base + (row + k) * w * channels }
                var read: UInt32 = 0
                guard curate_jpeg_read_rows(decoder, &rows, UInt32(batch), &read) == 0, read > 0 else { return false }
                row += Int(read)
            }
            let below = fullH - y - h
            if below > 0 { guard curate_jpeg_skip_rows(decoder, UInt32(below), &skipped) == 0, skipped == below else { return false } }
            return true
        }
        guard complete else { throw fail("the scan data") }
        let premature = decoder.pointee.err.premature_end != 0, hitMarker = decoder.pointee.err.hit_marker != 0
        let adobe = cinfo.pointee.saw_Adobe_marker != 0
        _ = curate_jpeg_finish(decoder)
        // libjpeg fills a short file with grey and warns; curate does not keep half-grey images.
        if premature { throw ImagingError.truncated(.jpeg, what: "the scan data (\(libraryMessage(decoder)))") }
        if hitMarker { throw ImagingError.corrupt(.jpeg, message: libraryMessage(decoder)) }

        let image = cmyk ? cmykToRGB(samples, width: w, height: h, inverted: adobe)
            : channels == 3 ? RGBImage(width: w, height: h, pixels: samples)
            : grayToRGB(samples, width: w, height: h)
        if info.orientation != 1 { return ImageWindow(whole: image.oriented(info.orientation)) }
        return ImageWindow(image: image, x: x, y: y, fullWidth: fullW, fullHeight: fullH)
    }

    /// The smallest numerator M (scale M/8) whose output still covers what `options.target`
    /// resizes to. libjpeg's output side is ceil(side · M / 8). The target is in displayed orientation.
    static func scaleNumerator(width: Int, height: Int, info: ImageInfo, options: DecodeOptions) -> Int {
        guard let target = options.target else { return 8 }
        let minimum = target.minimumDecodeSize(width: info.width, height: info.height)
        let (needW, needH) = info.orientation >= 5 ? (minimum.height, minimum.width) : (minimum.width, minimum.height)
        for m in 1...8 where (width * m + 7) / 8 >= needW && (height * m + 7) / 8 >= needH {
            return m
        }
        return 8
    }

    static func libraryMessage(_ decoder: UnsafeMutablePointer<curate_jpeg_decoder>) -> String {
        withUnsafeBytes(of: decoder.pointee.err.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// CMYK to RGB as Pillow does it: r = 255 − min(255, c + k) in spirit, computed as
    /// (255 − c)(255 − k)/255. Adobe's APP14 files store the channels inverted.
    static func cmykToRGB(_ s: [UInt8], width: Int, height: Int, inverted: Bool) -> RGBImage {
        RGBImage.uninitialized(width: width, height: height) { rgb in
            for p in 0..<(width * height) {
                var k = UInt32(s[p * 4 + 3])
                if !inverted { k = 255 - k }
                for c in 0..<3 {
                    var v = UInt32(s[p * 4 + c])
                    if !inverted { v = 255 - v }
                    rgb[p * 3 + c] = UInt8((v * k + 127) / 255)
                }
            }
        }
    }

    static func grayToRGB(_ s: [UInt8], width: Int, height: Int) -> RGBImage {
        RGBImage.uninitialized(width: width, height: height) { rgb in
            for p in 0..<(width * height) { rgb[p * 3] = s[p]; rgb[p * 3 + 1] = s[p]; rgb[p * 3 + 2] = s[p] }
        }
    }

    /// Encodes with jpeg_set_quality; 4:2:0 chroma (libjpeg's and Pillow's default) unless told otherwise.
    static func encode(_ image: RGBImage, quality: Int, chroma420: Bool) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: 200)
        let status = image.pixels.withUnsafeBufferPointer { px in
            curate_jpeg_encode(px.baseAddress, Int32(image.width), Int32(image.height), Int32(image.width * 3), 3,
                               Int32(max(1, min(100, quality))), chroma420 ? 1 : 0, &out, &size, &message, message.count)
        }
        guard status == 0, let out else {
            throw ImagingError.encodeFailed(.jpeg, message: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }
}
