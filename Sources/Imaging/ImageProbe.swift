import CurateCore
/// Reads an image's format and dimensions from its header bytes alone.
///
/// The filters use this to reject images (too small, too large, wrong aspect) before paying for
/// a decode. It never reads past the buffer and touches at most the JPEG marker segments before
/// the first start-of-frame, so it costs microseconds whatever the file's size.
public enum ImageProbe {
    /// Probes `bytes`; throws `ImagingError` for empty, unknown, truncated or invalid headers.
    public static func probe(_ bytes: UnsafeRawBufferPointer) throws -> ImageInfo {
        if bytes.isEmpty { throw ImagingError.empty }
        guard let format = ImageFormat.sniff(bytes) else {
            throw ImagingError.unknownFormat(magic: Hex.encode(bytes.prefix(8)))
        }
        let info: ImageInfo
        switch format {
        case .png: info = try probePNG(bytes)
        case .jpeg: info = try probeJPEG(bytes)
        case .webp: info = try probeWebP(bytes)
        case .gif: info = try probeGIF(bytes)
        }
        guard info.storedWidth > 0, info.storedHeight > 0 else {
            throw ImagingError.invalidDimensions(format, width: info.storedWidth, height: info.storedHeight)
        }
        return info
    }

    public static func probe(_ bytes: [UInt8]) throws -> ImageInfo {
        try bytes.withUnsafeBytes { try probe($0) }
    }

    // PNG: the signature, then the IHDR chunk, which the standard requires to come first.
    static func probePNG(_ b: UnsafeRawBufferPointer) throws -> ImageInfo {
        guard b.count >= 24 else { throw ImagingError.truncated(.png, what: "the IHDR chunk") }
        guard b.bigEndianUInt32(at: 12) == 0x4948_4452 else {  // "IHDR"
            throw ImagingError.corrupt(.png, message: "the first chunk is not IHDR")
        }
        let width = Int(b.bigEndianUInt32(at: 16)), height = Int(b.bigEndianUInt32(at: 20))
        guard width <= Int(Int32.max), height <= Int(Int32.max) else {  // PNG limits sides to 2^31-1
            throw ImagingError.invalidDimensions(.png, width: width, height: height)
        }
        return ImageInfo(format: .png, storedWidth: width, storedHeight: height)
    }

    // GIF: the logical screen descriptor right after the 6-byte signature.
    static func probeGIF(_ b: UnsafeRawBufferPointer) throws -> ImageInfo {
        guard b.count >= 10 else { throw ImagingError.truncated(.gif, what: "the logical screen descriptor") }
        return ImageInfo(format: .gif, storedWidth: Int(b.littleEndianUInt16(at: 6)), storedHeight: Int(b.littleEndianUInt16(at: 8)))
    }

    // WebP: RIFF header, then one of three first chunks: VP8 (lossy), VP8L (lossless), VP8X (extended).
    static func probeWebP(_ b: UnsafeRawBufferPointer) throws -> ImageInfo {
        guard b.count >= 16 else { throw ImagingError.truncated(.webp, what: "the RIFF header") }
        switch b.bigEndianUInt32(at: 12) {
        case 0x5650_3820:  // "VP8 ": a key frame starts with a 3-byte tag and the code 9D 01 2A
            guard b.count >= 30 else { throw ImagingError.truncated(.webp, what: "the VP8 frame header") }
            guard b[23] == 0x9D, b[24] == 0x01, b[25] == 0x2A else {
                throw ImagingError.corrupt(.webp, message: "the VP8 frame lacks its start code")
            }
            return ImageInfo(format: .webp, storedWidth: Int(b.littleEndianUInt16(at: 26) & 0x3FFF),
                             storedHeight: Int(b.littleEndianUInt16(at: 28) & 0x3FFF))
        case 0x5650_384C:  // "VP8L": signature 0x2F, then 14 bits of width-1 and 14 of height-1
            guard b.count >= 25 else { throw ImagingError.truncated(.webp, what: "the VP8L header") }
            guard b[20] == 0x2F else { throw ImagingError.corrupt(.webp, message: "the VP8L signature is not 0x2F") }
            let bits = b.littleEndianUInt32(at: 21)
            return ImageInfo(format: .webp, storedWidth: Int(bits & 0x3FFF) + 1, storedHeight: Int((bits >> 14) & 0x3FFF) + 1)
        case 0x5650_3858:  // "VP8X": flags, 3 reserved bytes, then 24 bits each of width-1 and height-1
            guard b.count >= 30 else { throw ImagingError.truncated(.webp, what: "the VP8X header") }
            var info = ImageInfo(format: .webp, storedWidth: Int(b.littleEndianUInt24(at: 24)) + 1,
                                 storedHeight: Int(b.littleEndianUInt24(at: 27)) + 1)
            info.animated = b[20] & 0x02 != 0
            return info
        default:
            throw ImagingError.corrupt(.webp, message: "the first chunk is not VP8, VP8L or VP8X")
        }
    }

    // JPEG: walk the marker segments up to the first start-of-frame, reading EXIF on the way.
    static func probeJPEG(_ b: UnsafeRawBufferPointer) throws -> ImageInfo {
        var orientation = 1
        var i = 2  // after SOI
        while true {
            // A marker is 0xFF (any number of fill bytes) and a code; like libjpeg, skip junk before it.
            while i < b.count, b[i] != 0xFF { i += 1 }
            while i < b.count, b[i] == 0xFF { i += 1 }
            guard i < b.count else { throw ImagingError.truncated(.jpeg, what: "the markers before the frame header") }
            let marker = b[i]
            i += 1
            switch marker {
            case 0x01, 0xD0...0xD8:  // TEM, RSTn, SOI: no length
                continue
            case 0xD9:
                throw ImagingError.corrupt(.jpeg, message: "end of image before any frame header")
            case 0xDA:
                throw ImagingError.corrupt(.jpeg, message: "scan data before any frame header (no SOF marker)")
            default:
                break
            }
            guard i + 2 <= b.count else { throw ImagingError.truncated(.jpeg, what: "a marker segment length") }
            let length = Int(b.bigEndianUInt16(at: i))
            guard length >= 2 else { throw ImagingError.corrupt(.jpeg, message: "a marker segment declares length \(length)") }
            let body = i + 2, end = i + length
            if isStartOfFrame(marker) {
                guard body + 6 <= b.count, length >= 8 else { throw ImagingError.truncated(.jpeg, what: "the frame header") }
                let frame = JPEGFrame(marker: marker, precision: Int(b[body]), components: Int(b[body + 5]))
                var info = ImageInfo(format: .jpeg, storedWidth: Int(b.bigEndianUInt16(at: body + 3)),
                                     storedHeight: Int(b.bigEndianUInt16(at: body + 1)))
                info.orientation = orientation
                info.jpegFrame = frame
                return info
            }
            if marker == 0xE1, end <= b.count {  // APP1: EXIF, when it starts with "Exif\0\0"
                let segment = UnsafeRawBufferPointer(rebasing: b[body..<end])
                if let found = EXIF.orientation(app1: segment) { orientation = found }
            }
            i = end
        }
    }

    /// SOF0-SOF15, excluding DHT (C4), JPG (C8) and DAC (CC), which share the range.
    static func isStartOfFrame(_ marker: UInt8) -> Bool {
        (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
    }
}
