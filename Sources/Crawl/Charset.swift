import Foundation

/// Turns a page's bytes into valid UTF-8, deciding the charset the way a browser does.
///
/// Order: a byte-order mark; the HTTP `Content-Type` charset; `<meta charset>` or
/// `<meta http-equiv="Content-Type">` in the first 16 KB; then a guess from the bytes (valid
/// UTF-8, else a small detector for the legacy encodings of the corpus: GBK, Big5, Shift_JIS,
/// EUC-JP, EUC-KR, KOI8-R, windows-1251, falling back to windows-1252). Labels are mapped as
/// the WHATWG Encoding Standard maps them (`iso-8859-1` and `ascii` mean windows-1252, `gb2312`
/// means GBK, ...) and converted with glibc's iconv. Bytes that do not decode become U+FFFD, so
/// every string stored is valid UTF-8.
package enum Charset {
    package struct Decoded {
        package var utf8: [UInt8]
        /// The iconv name of the charset used (`UTF-8`, `CP1252`, `GB18030`, ...).
        var charset: String
        /// Where the decision came from: `bom`, `http`, `meta`, `detected`, `default`.
        var source: String
        /// Bytes that did not decode and became U+FFFD.
        var errors: Int
    }

    package static func decode(_ bytes: [UInt8], httpCharset: String?) -> Decoded {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return utf8(Array(bytes.dropFirst(3)), source: "bom") }
        if bytes.starts(with: [0xFF, 0xFE]) { return convert(Array(bytes.dropFirst(2)), from: "UTF-16LE", source: "bom") }
        if bytes.starts(with: [0xFE, 0xFF]) { return convert(Array(bytes.dropFirst(2)), from: "UTF-16BE", source: "bom") }
        if let label = httpCharset, let name = iconvName(forLabel: label) { return declared(bytes, name, source: "http") }
        if let found = EncodingPrescan.declaredEncoding(bytes), let name = iconvName(forEncoding: found.encoding) { return declared(bytes, name, source: "meta") }
        return detect(bytes)
    }

    /// A declared charset; a page declared UTF-8 that holds no valid multi-byte sequence but
    /// does hold invalid bytes was mislabelled, and is detected instead.
    private static func declared(_ bytes: [UInt8], _ name: String, source: String) -> Decoded {
        let check = UTF8Check(bytes)
        guard name == "UTF-8" else {
            // Bytes that are valid UTF-8 with multi-byte characters are UTF-8 whatever the label
            // says (a page re-encoded without updating its meta tag); legacy text almost never is.
            if check.invalid == 0 && check.multibyte >= 8 && !name.hasPrefix("UTF-16") {
                return Decoded(utf8: bytes, charset: "UTF-8", source: source + "-overridden", errors: 0)
            }
            return convert(bytes, from: name, source: source)
        }
        if check.invalid > 0 && check.multibyte == 0 { return detect(bytes) }
        return utf8(bytes, source: source, check: check)
    }

    private static func utf8(_ bytes: [UInt8], source: String, check: UTF8Check? = nil) -> Decoded {
        let check = check ?? UTF8Check(bytes)
        if check.invalid == 0 { return Decoded(utf8: bytes, charset: "UTF-8", source: source, errors: 0) }
        let repaired = String(decoding: bytes, as: UTF8.self)   // the standard library substitutes U+FFFD
        return Decoded(utf8: Array(repaired.utf8), charset: "UTF-8", source: source, errors: check.invalid)
    }

    private static func convert(_ bytes: [UInt8], from name: String, source: String) -> Decoded {
        guard let (out, errors) = iconvDecode(bytes, from: name) else { return utf8(bytes, source: source) }
        return Decoded(utf8: out, charset: name, source: source, errors: errors)
    }

    // MARK: labels

    /// The iconv name for a charset label, as the WHATWG Encoding Standard resolves labels
    /// (`WHATWGEncoding`, the one label table); nil if unknown.
    static func iconvName(forLabel label: String) -> String? {
        let l = label.trimmingSpaces.lowercased()
        if let encoding = WHATWGEncoding.name(forLabel: l), let name = iconvName(forEncoding: encoding) { return name }
        // Anything else iconv itself knows, if it looks like a charset name: glibc drops the other
        // characters of a name, so a label of junk bytes around "utf-8" would open it (fuzzer).
        guard l.count <= 40, l.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.:".unicodeScalars.contains($0)) }) else {
            return nil
        }
        let upper = l.uppercased()
        let cd = iconv_open("UTF-8", upper)
        if cd == iconv_t(bitPattern: -1) { return nil }
        iconv_close(cd)
        return upper
    }

    /// glibc iconv's name for an encoding of the Encoding Standard; nil for `replacement` and
    /// `x-user-defined`, which iconv does not have (the label then goes to iconv as it is).
    static func iconvName(forEncoding encoding: String) -> String? {
        switch encoding {
        case "UTF-8", "IBM866", "KOI8-R", "KOI8-U", "EUC-JP", "ISO-2022-JP", "UTF-16BE", "UTF-16LE": return encoding
        case "GBK", "gb18030": return "GB18030"
        case "Big5": return "BIG5-HKSCS"
        case "Shift_JIS": return "CP932"
        case "EUC-KR": return "CP949"
        case "macintosh": return "MACINTOSH"
        case "x-mac-cyrillic": return "MAC-CYRILLIC"
        case "ISO-8859-8-I": return "ISO-8859-8"
        case "windows-874": return "CP874"
        default:
            if encoding.hasPrefix("windows-125") { return "CP" + encoding.dropFirst("windows-".count) }
            if encoding.hasPrefix("ISO-8859-") { return encoding }
            return nil
        }
    }

    // MARK: conversion

    /// Converts with iconv, replacing each byte that does not convert with U+FFFD; nil if iconv
    /// does not know the charset.
    static func iconvDecode(_ bytes: [UInt8], from name: String) -> (utf8: [UInt8], errors: Int)? {
        let cd = iconv_open("UTF-8", name)
        if cd == iconv_t(bitPattern: -1) { return nil }
        defer { iconv_close(cd) }
        var out = [UInt8](repeating: 0, count: bytes.count * 3 + 16)
        var errors = 0
        var input = bytes
        let written = input.withUnsafeMutableBytes { inRaw -> Int in
            out.withUnsafeMutableBytes { outRaw -> Int in
                var inPtr: UnsafeMutablePointer<CChar>? = inRaw.baseAddress?.assumingMemoryBound(to: CChar.self)
                var inLeft = inRaw.count
                var outPtr: UnsafeMutablePointer<CChar>? = outRaw.baseAddress?.assumingMemoryBound(to: CChar.self)
                var outLeft = outRaw.count
                while inLeft > 0 {
                    if iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft) != -1 { break }
                    guard errno == EILSEQ || errno == EINVAL, outLeft >= 3 else { break }
                    // U+FFFD for the byte that does not convert, then go on after it.
                    for b: UInt8 in [0xEF, 0xBF, 0xBD] { outPtr!.pointee = CChar(bitPattern: b); outPtr! += 1 }
                    outLeft -= 3
                    inPtr! += 1
                    inLeft -= 1
                    errors += 1
                }
                return outRaw.count - outLeft
            }
        }
        out.removeSubrange(written...)
        // Every stored string is UTF-8, whatever a converter lets through (fuzzer: glibc's UTF-8
        // to UTF-8 passes some invalid bytes on).
        let check = UTF8Check(out)
        if check.invalid > 0 { return (Array(String(decoding: out, as: UTF8.self).utf8), errors + check.invalid) }
        return (out, errors)
    }
}

/// Counts of valid multi-byte sequences and of invalid bytes in a byte string read as UTF-8.
struct UTF8Check {
    var multibyte = 0
    var invalid = 0

    init(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { b in
            var i = 0
            let n = b.count
            while i < n {
                let c = b[i]
                if c < 0x80 { i += 1; continue }
                let length: Int
                var minimum: UInt32
                if c >= 0xC2 && c <= 0xDF { length = 2; minimum = 0x80 }
                else if c >= 0xE0 && c <= 0xEF { length = 3; minimum = 0x800 }
                else if c >= 0xF0 && c <= 0xF4 { length = 4; minimum = 0x10000 }
                else { invalid += 1; i += 1; continue }
                guard i + length <= n else { invalid += 1; i += 1; continue }
                var scalar = UInt32(c) & (0xFF >> (length + 1))
                var ok = true
                for k in 1..<length {
                    let t = b[i + k]
                    if t & 0xC0 != 0x80 { ok = false; break }
                    scalar = scalar << 6 | UInt32(t & 0x3F)
                }
                if ok && scalar >= minimum && scalar <= 0x10FFFF && !(0xD800...0xDFFF).contains(scalar) {
                    multibyte += 1
                    i += length
                } else {
                    invalid += 1
                    i += 1
                }
                _ = minimum
            }
        }
    }
}
