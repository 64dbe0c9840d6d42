import CGIF

/// The only caller of giflib. curate decodes the first frame of a GIF, composed on a white
/// canvas of the logical screen's size (transparent pixels stay white), as browsers show it
/// before the animation advances.
enum GIFCodec {
    /// Where giflib's read callback takes the next bytes from.
    private struct Source {
        var base: UnsafePointer<UInt8>
        var count: Int
        var offset = 0
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, options: DecodeOptions) throws -> RGBImage {
        let source = UnsafeMutablePointer<Source>.allocate(capacity: 1)
        source.initialize(to: Source(base: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count: bytes.count))
        defer { source.deinitialize(count: 1); source.deallocate() }

        var openError: Int32 = 0
        guard let gif = DGifOpen(source, { gif, buffer, wanted in
            let source = gif!.pointee.UserData.assumingMemoryBound(to: Source.self)
            let n = max(0, min(Int(wanted), source.pointee.count - source.pointee.offset))
            buffer!.update(from: source.pointee.base + source.pointee.offset, count: n)
            source.pointee.offset += n
            return Int32(n)
        }, &openError) else {
            throw failure(openError, stage: "the header")
        }
        defer { var closeError: Int32 = 0; DGifCloseFile(gif, &closeError) }
        return try firstFrame(gif, options: options)
    }

    static func firstFrame(_ gif: UnsafeMutablePointer<GifFileType>, options: DecodeOptions) throws -> RGBImage {
        let screenW = Int(gif.pointee.SWidth), screenH = Int(gif.pointee.SHeight)
        try ImageDecoder.checkPixelLimit(.gif, width: screenW, height: screenH, options: options)
        var transparent: Int? = nil
        while true {
            var type = UNDEFINED_RECORD_TYPE
            guard DGifGetRecordType(gif, &type) == GIF_OK else { throw failure(gif.pointee.Error, stage: "a record type") }
            switch type {
            case EXTENSION_RECORD_TYPE:
                var code: Int32 = 0
                var block: UnsafeMutablePointer<GifByteType>? = nil
                guard DGifGetExtension(gif, &code, &block) == GIF_OK else { throw failure(gif.pointee.Error, stage: "an extension") }
                // Graphic control extension: byte 1 bit 0 says whether byte 4 is a transparent index.
                if code == GRAPHICS_EXT_FUNC_CODE, let b = block, b[0] >= 4, b[1] & 1 != 0 { transparent = Int(b[4]) }
                while block != nil {
                    guard DGifGetExtensionNext(gif, &block) == GIF_OK else { throw failure(gif.pointee.Error, stage: "an extension") }
                }
            case IMAGE_DESC_RECORD_TYPE:
                guard DGifGetImageDesc(gif) == GIF_OK else { throw failure(gif.pointee.Error, stage: "the image descriptor") }
                return try readFrame(gif, screenW: screenW, screenH: screenH, transparent: transparent, options: options)
            case TERMINATE_RECORD_TYPE:
                throw ImagingError.corrupt(.gif, message: "the file ends without an image")
            default:
                throw ImagingError.corrupt(.gif, message: "unknown record type")
            }
        }
    }

    /// Reads the frame line by line (in GIF's four-pass order when interlaced) onto the canvas.
    static func readFrame(_ gif: UnsafeMutablePointer<GifFileType>, screenW: Int, screenH: Int, transparent: Int?, options: DecodeOptions) throws -> RGBImage {
        let desc = gif.pointee.Image
        let left = Int(desc.Left), top = Int(desc.Top), frameW = Int(desc.Width), frameH = Int(desc.Height)
        // A frame may declare more than its screen (the classic decompression bomb); refuse before reading it.
        try ImageDecoder.checkPixelLimit(.gif, width: frameW, height: frameH, options: options)
        guard let map = desc.ColorMap ?? gif.pointee.SColorMap else {
            throw ImagingError.corrupt(.gif, message: "no colour table")
        }
        let colours = (0..<Int(map.pointee.ColorCount)).map { i in
            RGB(map.pointee.Colors[i].Red, map.pointee.Colors[i].Green, map.pointee.Colors[i].Blue)
        }
        var canvas = RGBImage(width: screenW, height: screenH, fill: .white)
        var line = [GifPixelType](repeating: 0, count: frameW)
        let rowOrder: [Int] = desc.Interlace
            ? Array(stride(from: 0, to: frameH, by: 8)) + Array(stride(from: 4, to: frameH, by: 8))
                + Array(stride(from: 2, to: frameH, by: 4)) + Array(stride(from: 1, to: frameH, by: 2))
            : Array(0..<frameH)
        for row in rowOrder {
            guard DGifGetLine(gif, &line, Int32(frameW)) == GIF_OK else { throw failure(gif.pointee.Error, stage: "the pixel data") }
            let y = top + row
            guard y < screenH else { continue }
            canvas.pixels.withUnsafeMutableBufferPointer { px in
                for x in 0..<frameW where left + x < screenW {
                    let index = Int(line[x])
                    guard index != transparent, index < colours.count else { continue }
                    let at = (y * screenW + left + x) * 3
                    px[at] = colours[index].r; px[at + 1] = colours[index].g; px[at + 2] = colours[index].b
                }
            }
        }
        return canvas
    }

    static func failure(_ code: Int32, stage: String) -> ImagingError {
        let text = GifErrorString(code).map { String(cString: $0) } ?? "giflib error \(code)"
        if code == D_GIF_ERR_READ_FAILED || code == D_GIF_ERR_EOF_TOO_SOON {
            return .truncated(.gif, what: "\(stage) (\(text))")
        }
        return .corrupt(.gif, message: text)
    }
}
