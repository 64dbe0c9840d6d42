/// Fixed-width integer reads from a byte buffer. Callers check bounds first; these trap if not.
extension UnsafeRawBufferPointer {
    func bigEndianUInt16(at i: Int) -> UInt16 { UInt16(self[i]) << 8 | UInt16(self[i + 1]) }
    func bigEndianUInt32(at i: Int) -> UInt32 {
        UInt32(self[i]) << 24 | UInt32(self[i + 1]) << 16 | UInt32(self[i + 2]) << 8 | UInt32(self[i + 3])
    }
    func littleEndianUInt16(at i: Int) -> UInt16 { UInt16(self[i]) | UInt16(self[i + 1]) << 8 }
    func littleEndianUInt24(at i: Int) -> UInt32 { UInt32(self[i]) | UInt32(self[i + 1]) << 8 | UInt32(self[i + 2]) << 16 }
    func littleEndianUInt32(at i: Int) -> UInt32 { littleEndianUInt24(at: i) | UInt32(self[i + 3]) << 24 }
}
