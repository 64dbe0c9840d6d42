/// Hand-made headers for the cases real files do not cover: each byte is spelled out.
enum Crafted {
    /// SOI, an optional EXIF APP1 with an orientation, and one start-of-frame segment.
    static func jpeg(sof: UInt8, precision: UInt8 = 8, width: Int, height: Int, components: Int = 3, orientation: Int? = nil, junk: Int = 0) -> [UInt8] {
        var bytes: [UInt8] = [0xFF, 0xD8]
        bytes += [UInt8](repeating: 0x00, count: junk)
        if let orientation {
            let tiff: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, UInt8(orientation), 0, 0, 0, 0, 0, 0]
            let body: [UInt8] = Array("Exif".utf8) + [0, 0] + tiff
            bytes += [0xFF, 0xE1, UInt8((body.count + 2) >> 8), UInt8((body.count + 2) & 0xFF)] + body
        }
        let length = 8 + 3 * components
        bytes += [0xFF, sof, UInt8(length >> 8), UInt8(length & 0xFF), precision,
                  UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF), UInt8(components)]
        for c in 0..<components { bytes += [UInt8(c + 1), 0x11, 0] }
        return bytes + [0xFF, 0xD9]
    }

    /// A PNG signature and an IHDR chunk (with a correct CRC) declaring width × height, 8-bit RGB.
    static func pngHeader(width: UInt32, height: UInt32) -> [UInt8] {
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        let chunk: [UInt8] = Array("IHDR".utf8) + be(width) + be(height) + [8, 2, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be(13) + chunk + be(crc32(chunk))
    }

    /// GIF89a whose logical screen is screen × screen and whose first frame declares frameW × frameH.
    static func gif(screen: Int, frameW: Int, frameH: Int) -> [UInt8] {
        func le(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
        return Array("GIF89a".utf8) + le(screen) + le(screen) + [0x80, 0, 0] + [0, 0, 0, 255, 255, 255]
            + [0x2C] + le(0) + le(0) + le(frameW) + le(frameH) + [0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B]
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
