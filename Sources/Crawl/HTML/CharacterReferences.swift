/// The HTML standard's named character references (`&amp;`, `&notin;`, the legacy `&not` without a
/// semicolon…), looked up by the longest name that prefixes the input, as the named character
/// reference state consumes "the maximum number of characters possible".
///
/// The 2,231 names live in one byte array, sorted, with an offset per name; a lookup is a binary
/// search per candidate length (longest first), with no allocation.
enum NamedCharacterReferences {
    struct Entry { var nameStart: UInt32; var nameLength: UInt8; var first: UInt32; var second: UInt32 }

    /// The longest name is 32 bytes (`&CounterClockwiseContourIntegral;`).
    static let longestName = 32

    static let names: [UInt8] = {
        var bytes: [UInt8] = []
        for line in table.utf8.split(separator: UInt8(ascii: "\n")) { bytes += line.prefix { $0 != 0x20 } }
        return bytes
    }()

    static let entries: [Entry] = {
        var entries: [Entry] = []
        var start: UInt32 = 0
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            let name = fields[0].utf8.count
            let points = fields.dropFirst().map { UInt32($0, radix: 16)! }
            entries.append(Entry(nameStart: start, nameLength: UInt8(name), first: points[0], second: points.count > 1 ? points[1] : 0))
            start += UInt32(name)
        }
        precondition(entries.count == 2231, "the named character reference table is damaged")
        return entries
    }()

    /// The entry whose name is the longest prefix of `candidate` (the bytes after `&`), if any.
    static func longestMatch(_ candidate: UnsafeBufferPointer<UInt8>) -> Entry? {
        let names = self.names, entries = self.entries
        return names.withUnsafeBufferPointer { names in
            var length = min(candidate.count, longestName)
            while length >= 2 {
                var low = 0, high = entries.count
                while low < high {
                    let mid = (low + high) / 2
                    let order = compare(names, entries[mid], candidate, length)
                    if order == 0 { return entries[mid] }
                    if order < 0 { low = mid + 1 } else { high = mid }
                }
                length -= 1
            }
            return nil
        }
    }

    /// The entry's name against the first `length` bytes of `candidate`: negative, zero or positive.
    private static func compare(_ names: UnsafeBufferPointer<UInt8>, _ entry: Entry, _ candidate: UnsafeBufferPointer<UInt8>, _ length: Int) -> Int {
        let start = Int(entry.nameStart), count = Int(entry.nameLength)
        for i in 0..<min(count, length) {
            let a = names[start + i], b = candidate[i]
            if a != b { return Int(a) - Int(b) }
        }
        return count - length
    }
}

/// What a numeric character reference (`&#147;`, `&#x1F600;`) stands for: the standard's
/// "numeric character reference end state".
enum NumericCharacterReference {
    /// The code point for `value` (already capped above 0x10FFFF by the caller).
    static func scalar(for value: UInt32) -> UInt32 {
        if value == 0 || value > 0x10FFFF || (0xD800...0xDFFF).contains(value) { return 0xFFFD }
        if (0x80...0x9F).contains(value) {
            let mapped = windows1252[Int(value - 0x80)]
            return mapped == 0 ? value : mapped
        }
        return value   // noncharacters and controls are parse errors, kept as they are
    }

    /// The standard's table for 0x80–0x9F: the windows-1252 character with that byte; 0 where it keeps the control.
    static let windows1252: [UInt32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]
}

/// What UTF-8 bytes can be appended to: the tokenizer's buffers and arrays.
protocol ByteAppending {
    mutating func append(_ byte: UInt8)
}

extension Array: ByteAppending where Element == UInt8 {}
extension RawBytes: ByteAppending {}

/// Appends the UTF-8 form of `scalar` (any value up to 0x10FFFF; a lone surrogate is written as its
/// three-byte form, which only html5lib's doubly-escaped tests produce).
@inline(__always)
func appendUTF8<Bytes: ByteAppending>(_ scalar: UInt32, to out: inout Bytes) {
    switch scalar {
    case 0..<0x80: out.append(UInt8(scalar))
    case 0x80..<0x800:
        out.append(UInt8(0xC0 | scalar >> 6)); out.append(UInt8(0x80 | scalar & 0x3F))
    case 0x800..<0x10000:
        out.append(UInt8(0xE0 | scalar >> 12)); out.append(UInt8(0x80 | scalar >> 6 & 0x3F)); out.append(UInt8(0x80 | scalar & 0x3F))
    default:
        out.append(UInt8(0xF0 | scalar >> 18)); out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
        out.append(UInt8(0x80 | scalar >> 6 & 0x3F)); out.append(UInt8(0x80 | scalar & 0x3F))
    }
}
