/// POSIX ustar archives, written the same way every time: mode 0644, uid and gid 0, empty user
/// and group names, a fixed mtime, members in the order given. Python's `tarfile`, GNU tar and
/// the `webdataset` library read them. Names of up to 100 bytes only (curate's keys are short).
public enum Tar {
    /// 2000-01-01T00:00:00Z: a fixed modification time, so equal inputs give equal bytes.
    public static let mtime = 946_684_800

    /// The 512-byte header of a regular file `name` of `size` bytes.
    static func header(name: String, size: Int) -> [UInt8] {
        precondition(name.utf8.count <= 100, "Tar member names are at most 100 bytes: \(name)")
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) { for (i, b) in text.utf8.enumerated() { h[offset + i] = b } }
        func octal(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
        }
        put(name, at: 0)
        put(octal(0o644, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(size, width: 12), at: 124)
        put(octal(mtime, width: 12), at: 136)
        put("        ", at: 148)              // checksum field counts as spaces while summing
        h[156] = UInt8(ascii: "0")             // regular file
        put("ustar", at: 257)                  // magic "ustar\0", version "00"
        put("00", at: 263)
        let sum = h.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7), at: 148)     // six digits, NUL, space
        h[155] = UInt8(ascii: " ")
        return h
    }

    /// One member: header, data, zero padding to a multiple of 512.
    public static func member(name: String, bytes: [UInt8]) -> [UInt8] {
        var out = header(name: name, size: bytes.count)
        out += bytes
        let pad = (512 - bytes.count % 512) % 512
        out += [UInt8](repeating: 0, count: pad)
        return out
    }

    /// The end of an archive: two zero blocks.
    public static let end = [UInt8](repeating: 0, count: 1024)
}
