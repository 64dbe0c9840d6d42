import Synchronization

/// Glyphs at a font size other than 16: each 16×16 cell resized to fontSize×fontSize by
/// TensorFlow's area method (`tf.image.resize(..., method="area")`, the `ResizeArea` kernel),
/// as big_vision does, then trimmed and drawn in Float32 and truncated to bytes as its op does.
/// Slower than the native path and off by default (big_vision itself warns against it).
final class ScaledGlyphs: Sendable {
    let font: Unifont
    let options: RenderOptions
    private let cache = Mutex<[Int: Glyph]>([:])

    struct Glyph {
        /// fontSize × fontSize coverage values in [0, 1], rows top to bottom.
        var cells: [Float]
        var first: Int
        var width: Int
    }

    init(font: Unifont, options: RenderOptions) {
        self.font = font
        self.options = options
    }

    /// First column and width of `glyph` after resizing and trimming.
    func trim(_ glyph: Int) -> (Int, Int) {
        let scaled = self.glyph(glyph)
        return (scaled.first, scaled.width)
    }

    func glyph(_ index: Int) -> Glyph {
        if let known = cache.withLock({ $0[index] }) { return known }
        let n = options.fontSize
        var source = [Float](repeating: 0, count: 256)
        for row in 0..<16 {
            let bits = font.rows[16 * index + row]
            for column in 0..<16 where bits & (0x8000 >> UInt16(column)) != 0 { source[16 * row + column] = 1 }
        }
        let cells = Self.areaResize(source, from: 16, to: n)
        var first = 0, width = n
        if !options.monospace {
            var inked = [Bool](repeating: false, count: n)
            for row in 0..<n { for column in 0..<n where cells[n * row + column] != 0 { inked[column] = true } }
            let ink = inked.firstIndex(of: true).map { (first: $0, last: inked.lastIndex(of: true)!) }
            (first, width) = TextRenderer.trim(ink: ink, cell: n, spacing: options.spacing, minWidth: options.minWidth)
        }
        let made = Glyph(cells: cells, first: first, width: width)
        cache.withLock { $0[index] = made }
        return made
    }

    /// Draws into a Float canvas (0 = background, 1 = full ink), then maps each value v to
    /// UInt8(v · (text − background) + background), truncating, in Float32 as the op does.
    func draw(_ glyphs: UnsafeBufferPointer<PlacedGlyph>, into pixels: UnsafeMutableBufferPointer<UInt8>, channels: Int) {
        let size = options.imageSize, n = options.fontSize
        var canvas = [Float](repeating: 0, count: size * size)
        for placed in glyphs where !placed.isBreak {
            let top = Int(placed.line) * n
            if top >= size { break }
            let scaled = glyph(Int(placed.glyph))
            for row in 0..<min(n, size - top) {
                for column in 0..<Int(placed.width) {
                    let x = Int(placed.x) + column
                    guard x < size else { break }
                    canvas[(top + row) * size + x] = scaled.cells[n * row + Int(placed.firstColumn) + column]
                }
            }
        }
        let scale = Float(Int(options.foreground) - Int(options.background)), offset = Float(options.background)
        for (i, value) in canvas.enumerated() {
            let level = UInt8(min(max(value * scale + offset, 0), 255))  // truncates, as tf.cast
            for c in 0..<channels { pixels[i * channels + c] = level }
        }
    }

    /// TensorFlow's `ResizeArea` (align_corners false) of one square single-channel image,
    /// with its Float32 arithmetic in its order: each output pixel is the overlap-weighted sum
    /// of the input pixels under it, times 1 / (scaleY · scaleX).
    static func areaResize(_ input: [Float], from inSize: Int, to outSize: Int) -> [Float] {
        let scale = Float(inSize) / Float(outSize)
        // Per output index: first and last contributing input index and their partial weights.
        struct Span { var start: Int; var end: Int; var startWeight: Float; var endWeight: Float }
        func weight(_ v: Int, _ from: Float, _ to: Float) -> Float {
            Float(v) < from ? (Float(v + 1) > to ? scale : Float(v + 1) - from)
                            : (Float(v + 1) > to ? to - Float(v) : 1)
        }
        let spans = (0..<outSize).map { o -> Span in
            let from = Float(o) * scale, to = Float(o + 1) * scale
            let start = Int(from.rounded(.down)), end = Int(to.rounded(.up))
            return Span(start: start, end: end, startWeight: weight(start, from, to), endWeight: weight(end - 1, from, to))
        }
        func bound(_ i: Int) -> Int { min(inSize - 1, max(0, i)) }
        let normaliser = Float(1.0 / Double(scale * scale))
        var output = [Float](repeating: 0, count: outSize * outSize)
        for y in 0..<outSize {
            let ys = spans[y]
            for x in 0..<outSize {
                let xs = spans[x]
                var sum: Float = 0
                for i in ys.start..<ys.end {
                    let rowWeight = weight(i, Float(y) * scale, Float(y + 1) * scale)
                    let row = bound(i) * inSize
                    var rowSum = input[row + bound(xs.start)] * xs.startWeight
                    if xs.start + 1 != xs.end {
                        for j in (xs.start + 1)..<(xs.end - 1) { rowSum += input[row + bound(j)] }
                        rowSum += input[row + bound(xs.end - 1)] * xs.endWeight
                    }
                    sum += rowSum * rowWeight
                }
                output[y * outSize + x] = sum * normaliser
            }
        }
        return output
    }
}
