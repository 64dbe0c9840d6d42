import Imaging

/// One glyph where the layout put it: columns `firstColumn ..< firstColumn + width` of its
/// cell are drawn with their left edge at pixel `x` of line `line` (line `l` covers pixel rows
/// `l * fontSize ..< (l + 1) * fontSize`).
public struct PlacedGlyph: Sendable, Equatable {
    /// The code point after lower-casing.
    public var scalar: UInt32
    /// Index in the font's table; `Unifont.blankGlyph` beyond plane 0; -1 for a line break
    /// (only with `RenderOptions.newlines`), which is never drawn.
    public var glyph: Int32
    public var firstColumn: Int32
    public var width: Int32
    public var x: Int32
    public var line: Int32

    var isBreak: Bool { glyph < 0 }
}

/// Turns strings into CLIPPO's text images with GNU Unifont, pixel for pixel as big_vision's
/// `render_unifont` op does (see README.md beside this file for the algorithm and its surprises).
///
/// Immutable after `init`: one renderer serves any number of threads.
public final class TextRenderer: Sendable {
    public let font: Unifont
    public let options: RenderOptions
    /// Per glyph of the font's table, at font size 16: first drawn column and width.
    private let trimFirst: [UInt8]
    private let trimWidth: [UInt8]
    /// Area-resized glyphs when `fontSize` is not 16 (nil at 16, the fast path).
    private let scaled: ScaledGlyphs?

    public init(font: Unifont, options: RenderOptions = .clippo) throws {
        try options.validate()
        self.font = font
        self.options = options
        var first = [UInt8](repeating: 0, count: Unifont.blankGlyph + 1)
        var width = [UInt8](repeating: 16, count: Unifont.blankGlyph + 1)
        if !options.monospace {
            for glyph in 0...Unifont.blankGlyph {
                var columns: UInt16 = 0
                for row in 0..<16 { columns |= font.rows[16 * glyph + row] }
                let ink = columns == 0 ? nil : (first: columns.leadingZeroBitCount, last: 15 - columns.trailingZeroBitCount)
                let trim = Self.trim(ink: ink, cell: 16, spacing: options.spacing, minWidth: options.minWidth)
                first[glyph] = UInt8(trim.first)
                width[glyph] = UInt8(trim.width)
            }
        }
        trimFirst = first
        trimWidth = width
        scaled = options.fontSize == 16 ? nil : ScaledGlyphs(font: font, options: options)
    }

    /// big_vision's `trim_letter` for a cell `cell` columns wide whose ink spans `ink` (nil when
    /// blank): keep `spacing` blank columns before the ink and none after, at least `minWidth`
    /// columns, never past the cell's right edge.
    static func trim(ink: (first: Int, last: Int)?, cell: Int, spacing: Int, minWidth: Int) -> (first: Int, width: Int) {
        let first = max((ink?.first ?? 0) - spacing, 0)
        let last = max((ink?.last ?? 0) + spacing, first + minWidth)  // exclusive, as a Python slice end
        return (first, max(min(last, cell) - first, 0))
    }

    // MARK: Rendering

    /// The image the model sees, as one channel (the op's three channels are equal).
    public func renderGray(_ text: String) -> GrayImage {
        let size = options.imageSize
        let pixels = [UInt8](unsafeUninitializedCapacity: size * size) { buffer, count in
            render(text, into: buffer, channels: 1)
            count = size * size
        }
        return GrayImage(width: size, height: size, pixels: pixels)
    }

    /// The image the model sees: RGB8 with three equal channels, as `render_unifont` returns it.
    public func renderRGB(_ text: String) -> RGBImage {
        let size = options.imageSize
        let pixels = [UInt8](unsafeUninitializedCapacity: size * size * 3) { buffer, count in
            render(text, into: buffer, channels: 3)
            count = size * size * 3
        }
        return RGBImage(width: size, height: size, pixels: pixels)
    }

    /// Draws `text` into `pixels` (rows top to bottom, `channels` equal bytes per pixel), which
    /// must hold exactly `imageSize² · channels` bytes. Allocates nothing at font size 16.
    public func render(_ text: String, into pixels: UnsafeMutableBufferPointer<UInt8>, channels: Int) {
        let size = options.imageSize
        precondition(channels >= 1 && pixels.count == size * size * channels,
                     "render(into:) needs imageSize * imageSize * channels bytes.")
        withLayout(text) { glyphs in
            if let scaled {
                scaled.draw(glyphs, into: pixels, channels: channels)
            } else {
                drawNative(glyphs, into: pixels, channels: channels)
            }
        }
    }

    /// Where each drawn code point goes (for tests, and for seeing why a line broke where it did).
    public func layout(_ text: String) -> [PlacedGlyph] {
        withLayout(text) { Array($0) }
    }

    /// Font size 16: background, then each visible glyph's rows blended in, eight pixels per step.
    private func drawNative(_ glyphs: UnsafeBufferPointer<PlacedGlyph>, into pixels: UnsafeMutableBufferPointer<UInt8>, channels: Int) {
        pixels.update(repeating: options.background)
        switch channels {  // the two shapes curate uses, specialised; any other count works too
        case 1: drawInk(glyphs, into: pixels, channels: 1, masks: InkMasks.gray)
        case 3: drawInk(glyphs, into: pixels, channels: 3, masks: InkMasks.rgb)
        default: drawInk(glyphs, into: pixels, channels: channels, masks: nil)
        }
    }

    @inline(__always)
    private func drawInk(_ glyphs: UnsafeBufferPointer<PlacedGlyph>, into pixels: UnsafeMutableBufferPointer<UInt8>,
                         channels: Int, masks: [UInt64]?) {
        let size = options.imageSize, foreground = options.foreground
        let raw = UnsafeMutableRawPointer(pixels.baseAddress!)
        let ink = UInt64(foreground) &* 0x0101_0101_0101_0101
        font.rows.withUnsafeBufferPointer { rows in
            for placed in glyphs where !placed.isBreak {
                let top = Int(placed.line) &* 16
                if top >= size { break }  // lines only grow: everything after is below the canvas
                let visibleRows = min(16, size &- top)
                let mask: UInt16 = placed.width >= 16 ? 0xFFFF : ~(0xFFFF >> UInt16(placed.width))
                let base = 16 &* Int(placed.glyph), left = Int(placed.x)
                // Ink never reaches past the canvas (a line is narrower than size), but clip anyway.
                let columns = min(16, size &- left)
                let clip: UInt16 = columns >= 16 ? 0xFFFF : (columns <= 0 ? 0 : ~(0xFFFF >> UInt16(columns)))
                for row in 0..<visibleRows {
                    let bits = (rows[base &+ row] << UInt16(placed.firstColumn)) & mask & clip
                    if bits == 0 { continue }
                    let at = ((top &+ row) &* size &+ left) &* channels
                    if let masks, at &+ 16 &* channels <= pixels.count {
                        // Each byte of bits covers 8 pixels = `channels` words: keep the background
                        // where a bit is 0, put the ink where it is 1.
                        for half in 0..<2 {
                            let byte = Int(truncatingIfNeeded: half == 0 ? bits >> 8 : bits & 0xFF)
                            if byte == 0 { continue }
                            let start: Int = at &+ half &* 8 &* channels
                            for word in 0..<channels {
                                let m = masks[byte &* channels &+ word]
                                let address = raw.advanced(by: start &+ word &* 8)
                                let old = address.loadUnaligned(as: UInt64.self)
                                address.storeBytes(of: (old & ~m) | (ink & m), as: UInt64.self)
                            }
                        }
                    } else {
                        var rest = bits, pixel = at
                        while rest != 0 {
                            let skip = rest.leadingZeroBitCount
                            rest = (rest &<< UInt16(truncatingIfNeeded: skip)) &<< 1  // two steps: a shift by 16 would wrap to 0
                            pixel &+= skip &* channels
                            for c in 0..<channels { pixels[pixel &+ c] = foreground }
                            pixel &+= channels
                        }
                    }
                }
            }
        }
    }

    // MARK: Shaping

    /// Lower-cases, truncates and measures `text`, lays it out, and hands `body` the glyphs.
    func withLayout<R>(_ text: String, _ body: (UnsafeBufferPointer<PlacedGlyph>) -> R) -> R {
        var text = text
        let bound = text.utf8.count  // no more code points than UTF-8 bytes
        let capacity = max(1, options.maxCharacters > 0 ? min(options.maxCharacters, bound) : bound)
        return withUnsafeTemporaryAllocation(of: PlacedGlyph.self, capacity: capacity) { buffer in
            let count = text.withUTF8 { shape($0, into: buffer) }
            let glyphs = UnsafeMutableBufferPointer(rebasing: buffer[..<count])
            switch options.wrap {
            case .bigVision: layOutBigVision(glyphs)
            case .word: layOutWords(glyphs)
            }
            return body(UnsafeBufferPointer(glyphs))
        }
    }

    /// Decodes UTF-8 into glyphs with their trims; returns how many were written.
    private func shape(_ utf8: UnsafeBufferPointer<UInt8>, into buffer: UnsafeMutableBufferPointer<PlacedGlyph>) -> Int {
        let lowercase = options.lowercase, newlines = options.newlines
        var count = 0, consumed = 0
        var previousWasCR = false
        var iterator = utf8.makeIterator()
        var decoder = UTF8()
        decoding: while count < buffer.count {
            let scalar: UInt32
            switch decoder.decode(&iterator) {
            case .scalarValue(let s): scalar = s.value
            case .error: scalar = 0xFFFD  // what TensorFlow's unicode_decode substitutes
            case .emptyInput: break decoding
            }
            consumed += 1
            if options.maxCharacters > 0 && consumed > options.maxCharacters { break }
            let code = lowercase && (0x41...0x5A).contains(scalar) ? scalar + 0x20 : scalar
            if newlines && (code == 0x0A || code == 0x0D) {
                defer { previousWasCR = code == 0x0D }
                if code == 0x0A && previousWasCR { continue }  // \r\n is one break
                buffer[count] = PlacedGlyph(scalar: code, glyph: -1, firstColumn: 0, width: 0, x: 0, line: 0)
                count += 1
                continue
            }
            previousWasCR = false
            let glyph = Unifont.glyph(code)
            let (first, width) = scaled?.trim(glyph) ?? (Int(trimFirst[glyph]), Int(trimWidth[glyph]))
            buffer[count] = PlacedGlyph(scalar: code, glyph: Int32(glyph), firstColumn: Int32(first),
                                        width: Int32(width), x: 0, line: 0)
            count += 1
        }
        return count
    }
}

/// Which bytes of eight pixels a byte of glyph bits inks: for bit 7 − i set (pixel i, leftmost
/// first), bytes i·c ..< (i+1)·c of the 8·c bytes, as c little-endian words per byte value.
enum InkMasks {
    static let gray = make(channels: 1)
    static let rgb = make(channels: 3)

    static func make(channels: Int) -> [UInt64] {
        var masks = [UInt64](repeating: 0, count: 256 * channels)
        for byte in 0..<256 {
            for pixel in 0..<8 where byte & (0x80 >> pixel) != 0 {
                for c in 0..<channels {
                    let offset = pixel * channels + c
                    masks[byte * channels + offset / 8] |= 0xFF << UInt64(8 * (offset % 8))
                }
            }
        }
        return masks
    }
}
