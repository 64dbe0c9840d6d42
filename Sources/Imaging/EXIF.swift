/// The one EXIF field curate needs: the orientation tag (0x0112) of the first IFD.
enum EXIF {
    /// Reads the orientation from an APP1 segment body ("Exif\0\0" + a TIFF structure), or nil
    /// when the segment is not EXIF, has no orientation, or is damaged. Every read is bounds-checked.
    static func orientation(app1 s: UnsafeRawBufferPointer) -> Int? {
        guard s.count >= 14, Array(s[0..<6]) == [0x45, 0x78, 0x69, 0x66, 0, 0] else { return nil }
        let tiff = UnsafeRawBufferPointer(rebasing: s[6...])
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true   // "II"
        case (0x4D, 0x4D): little = false  // "MM"
        default: return nil
        }
        func u16(_ i: Int) -> Int? {
            guard i >= 0, i + 2 <= tiff.count else { return nil }
            return Int(little ? tiff.littleEndianUInt16(at: i) : tiff.bigEndianUInt16(at: i))
        }
        func u32(_ i: Int) -> Int? {
            guard i >= 0, i + 4 <= tiff.count else { return nil }
            return Int(little ? tiff.littleEndianUInt32(at: i) : tiff.bigEndianUInt32(at: i))
        }
        guard let ifd = u32(4), let count = u16(ifd) else { return nil }
        for entry in 0..<count {
            let at = ifd + 2 + entry * 12
            guard let tag = u16(at) else { return nil }
            if tag == 0x0112 {
                guard let type = u16(at + 2), type == 3, let value = u16(at + 8), (1...8).contains(value) else { return nil }
                return value
            }
        }
        return nil
    }
}
