import Foundation
import Synchronization

/// GNU Unifont's plane 0 as bitmaps: every code point U+0000–U+FFFF the font draws, as sixteen
/// rows of sixteen bits, read from the font's `.hex` form.
///
/// A `.hex` line is `CODEPOINT:BITS`, where BITS is 32 hex digits for a half-width (8×16) glyph
/// (one byte per row) or 64 for a full-width (16×16) glyph (two bytes per row), most
/// significant bit leftmost. A half-width glyph fills the left half of its 16-column cell, as it
/// does in big_vision's table. Code points the font lacks, and everything beyond plane 0,
/// are blank (all-zero rows), which is what big_vision's zero-initialised table gives them.
///
/// Loading takes a few milliseconds and happens once per process and path (`load(path:)`);
/// the glyph table is immutable afterwards, so any number of threads may read it.
public final class Unifont: Sendable {
    /// Debian's `unifont` package (15.0.01 on Debian 12).
    public static let defaultPath = "/usr/share/unifont/unifont.hex"
    /// Overrides `defaultPath` when no path is given explicitly.
    public static let environmentVariable = "CURATE_UNIFONT"
    /// The index of the blank glyph that stands for code points the table does not hold.
    public static let blankGlyph = 0x10000

    /// The file the glyphs were read from.
    public let path: String
    /// How many code points of plane 0 the font draws.
    public let glyphCount: Int
    /// How many lines of the file named code points beyond plane 0 (ignored, as the issue asks).
    public let skippedBeyondPlane0: Int
    /// 16 rows per glyph, glyph `g` at `16 * g`; bit 15 is the leftmost column. 65,537 glyphs:
    /// plane 0, then the blank glyph.
    let rows: [UInt16]
    /// 8 or 16 for a glyph the font has, 0 where it has none.
    let cellWidths: [UInt8]

    private init(path: String, rows: [UInt16], cellWidths: [UInt8], glyphCount: Int, skipped: Int) {
        self.path = path
        self.rows = rows
        self.cellWidths = cellWidths
        self.glyphCount = glyphCount
        self.skippedBeyondPlane0 = skipped
    }

    /// The glyph index of a code point: itself in plane 0, else the blank glyph.
    @inline(__always) static func glyph(_ scalar: UInt32) -> Int {
        scalar < 0x10000 ? Int(scalar) : blankGlyph
    }

    /// Whether the font draws `scalar` (a plane-0 code point that has a line in the file).
    public func hasGlyph(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x10000 && cellWidths[Int(scalar.value)] != 0
    }

    /// The native cell width of `scalar`: 8 (half-width), 16 (full-width), or 0 when the font lacks it.
    public func cellWidth(_ scalar: Unicode.Scalar) -> Int {
        scalar.value < 0x10000 ? Int(cellWidths[Int(scalar.value)]) : 0
    }

    /// Row `row` (0 = top) of `scalar`'s glyph, bit 15 leftmost.
    public func row(_ row: Int, of scalar: Unicode.Scalar) -> UInt16 {
        rows[16 * Unifont.glyph(scalar.value) + row]
    }

    /// The path a caller means: `explicit` if given, else `$CURATE_UNIFONT`, else Debian's.
    public static func resolvedPath(_ explicit: String? = nil) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = ProcessInfo.processInfo.environment[environmentVariable], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return defaultPath
    }

    private static let loaded = Mutex<[String: Unifont]>([:])

    /// The font at `resolvedPath(path)`, read on first use and shared afterwards.
    public static func load(path: String? = nil) throws -> Unifont {
        let path = resolvedPath(path)
        return try loaded.withLock { fonts in
            if let font = fonts[path] { return font }
            let font = try read(path: path)
            fonts[path] = font
            return font
        }
    }

    /// Parses a `.hex` file. Lines beyond plane 0 are counted and skipped; blank lines are allowed.
    static func read(path: String) throws -> Unifont {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw RenderError.fontUnreadable(path: path, reason: "no such file")
        }
        guard !isFolder.boolValue else { throw RenderError.fontUnreadable(path: path, reason: "it is a folder") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RenderError.fontUnreadable(path: path, reason: "it cannot be opened for reading")
        }
        var rows = [UInt16](repeating: 0, count: 16 * (blankGlyph + 1))
        var cellWidths = [UInt8](repeating: 0, count: blankGlyph + 1)
        var glyphs = 0, skipped = 0
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var lineNumber = 0, start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != 0x0A { end += 1 }
                lineNumber += 1
                let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
                start = end + 1
                let trimmed = line.last == 0x0D ? UnsafeBufferPointer(rebasing: line.dropLast()) : line
                if trimmed.isEmpty { continue }
                func malformed(_ what: String) -> RenderError { .malformedFont(path: path, line: lineNumber, what: what) }
                guard let colon = trimmed.firstIndex(of: 0x3A), colon > 0, colon <= 6 else {
                    throw malformed("no CODEPOINT: prefix")
                }
                var scalar = 0
                for byte in trimmed[..<colon] {
                    guard let digit = hexDigit(byte) else { throw malformed("code point is not hexadecimal") }
                    scalar = scalar << 4 | Int(digit)
                }
                let bits = trimmed[(colon + 1)...]
                guard bits.count == 32 || bits.count == 64 else {
                    throw malformed("\(bits.count) hex digits after the colon, expected 32 or 64")
                }
                if scalar >= 0x10000 { skipped += 1; continue }
                let bytesPerRow = bits.count / 32
                var digits = bits.startIndex
                for row in 0..<16 {
                    var value: UInt16 = 0
                    for _ in 0..<(2 * bytesPerRow) {
                        guard let digit = hexDigit(trimmed[digits]) else { throw malformed("glyph bits are not hexadecimal") }
                        value = value << 4 | UInt16(digit)
                        digits += 1
                    }
                    rows[16 * scalar + row] = bytesPerRow == 1 ? value << 8 : value  // half-width: left half
                }
                if cellWidths[scalar] == 0 { glyphs += 1 }
                cellWidths[scalar] = UInt8(8 * bytesPerRow)
            }
        }
        return Unifont(path: path, rows: rows, cellWidths: cellWidths, glyphCount: glyphs, skipped: skipped)
    }

    @inline(__always) private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
