/// Separable resampling with precomputed fixed-point weights: area averaging when shrinking
/// (each output pixel is the exact mean of the source area it covers, as OpenCV's INTER_AREA),
/// bilinear when enlarging. Only the output window that is kept is computed, and the source may
/// itself be a window of a larger image (a region-decoded JPEG).
extension RGBImage {
    /// This image resized as `mode` says.
    public func resized(_ mode: ResizeMode) -> RGBImage {
        ImageWindow(whole: self).resized(mode)
    }
}

/// A decoded image that may be only a window (x, y, image.width × image.height) of a full
/// image of fullWidth × fullHeight pixels.
public struct ImageWindow: Sendable {
    public var image: RGBImage
    public var x: Int, y: Int
    public var fullWidth: Int, fullHeight: Int

    public init(image: RGBImage, x: Int, y: Int, fullWidth: Int, fullHeight: Int) {
        self.image = image
        self.x = x
        self.y = y
        self.fullWidth = fullWidth
        self.fullHeight = fullHeight
    }

    /// A window that is the whole image.
    public init(whole image: RGBImage) {
        self.init(image: image, x: 0, y: 0, fullWidth: image.width, fullHeight: image.height)
    }

    /// The kept part of the full image resized as `mode` says.
    public func resized(_ mode: ResizeMode) -> RGBImage {
        resized(mode.plan(width: fullWidth, height: fullHeight), mode: mode)
    }

    /// Resamples to `plan`'s kept window and, for `.pad`, places it on the canvas.
    func resized(_ plan: ResizeMode.Plan, mode: ResizeMode) -> RGBImage {
        let kept = resampled(plan)
        guard case .pad(_, let fill) = mode else { return kept }
        var canvas = RGBImage(width: plan.outputWidth, height: plan.outputHeight, fill: fill)
        let rowBytes = kept.width * 3
        for row in 0..<kept.height {
            let dst = ((row + plan.offsetY) * canvas.width + plan.offsetX) * 3
            canvas.pixels.replaceSubrange(dst..<(dst + rowBytes), with: kept.pixels[(row * rowBytes)..<((row + 1) * rowBytes)])
        }
        return canvas
    }

    /// The window (cropX, cropY, cropWidth, cropHeight) of the full image scaled to scaledWidth × scaledHeight.
    func resampled(_ p: ResizeMode.Plan) -> RGBImage {
        if p.scaledWidth == fullWidth, p.scaledHeight == fullHeight, p.cropWidth == image.width, p.cropHeight == image.height,
           p.cropX == x, p.cropY == y {
            return image
        }
        let columns = ResampleWeights(source: fullWidth, scaled: p.scaledWidth, first: p.cropX, count: p.cropWidth, origin: x, available: image.width)
        let rows = ResampleWeights(source: fullHeight, scaled: p.scaledHeight, first: p.cropY, count: p.cropHeight, origin: y, available: image.height)
        // Vertical pass first: it reads whole contiguous rows, so its inner loop vectorises, and it
        // leaves the gathering horizontal pass only the output rows. It covers just the source
        // columns the horizontal pass reads. Float, because every x86-64 CPU vectorises its
        // multiply (a 32-bit integer multiply needs SSE4.1).
        let firstColumn = columns.firstSource, span = (columns.lastSource - columns.firstSource) * 3
        let srcStride = image.width * 3
        var vertical = [Float](repeating: 0, count: p.cropHeight * span)
        image.pixels.withUnsafeBufferPointer { src in
            vertical.withUnsafeMutableBufferPointer { tmp in
                rows.withTables { start, taps, weight in
                    for oy in 0..<p.cropHeight {
                        let out = tmp.baseAddress! + oy * span
                        var row = src.baseAddress! + Int(start[oy]) * srcStride + firstColumn * 3
                        for t in (oy * taps)..<(oy * taps + taps) {
                            let w = weight[t]
                            if w != 0 { for i in 0..<span { out[i] += w * Float(row[i]) } }  // padding taps are 0
                            row += srcStride
                        }
                    }
                }
            }
        }
        // Horizontal pass, rounding to bytes.
        return vertical.withUnsafeBufferPointer { tmp in
            RGBImage.uninitialized(width: p.cropWidth, height: p.cropHeight) { dst in
                columns.withTables { start, taps, weight in
                    for oy in 0..<p.cropHeight {
                        let row = tmp.baseAddress! + oy * span - firstColumn * 3
                        let out = dst.baseAddress! + oy * p.cropWidth * 3
                        // The common tap counts get their own copy of the loop, unrolled by the compiler.
                        switch taps {
                        case 2: horizontalRow(row, out, count: p.cropWidth, taps: 2, start: start, weight: weight)
                        case 3: horizontalRow(row, out, count: p.cropWidth, taps: 3, start: start, weight: weight)
                        default: horizontalRow(row, out, count: p.cropWidth, taps: taps, start: start, weight: weight)
                        }
                    }
                }
            }
        }
    }
}

/// One output row of the horizontal pass: `count` RGB pixels, each a weighted sum of `taps`
/// consecutive Float RGB pixels of `row`, rounded and clamped to bytes.
@inline(__always)
private func horizontalRow(_ row: UnsafePointer<Float>, _ out: UnsafeMutablePointer<UInt8>, count: Int, taps: Int,
                           start: UnsafeBufferPointer<Int32>, weight: UnsafeBufferPointer<Float>) {
    for ox in 0..<count {
        var red: Float = 0.5, green: Float = 0.5, blue: Float = 0.5
        var pixel = row + Int(start[ox]) * 3
        for t in (ox * taps)..<(ox * taps + taps) {
            let w = weight[t]
            red += w * pixel[0]; green += w * pixel[1]; blue += w * pixel[2]
            pixel += 3
        }
        out[ox * 3] = UInt8(max(0, min(255, red)))
        out[ox * 3 + 1] = UInt8(max(0, min(255, green)))
        out[ox * 3 + 2] = UInt8(max(0, min(255, blue)))
    }
}

/// For each output coordinate in a window: the first source index (relative to the decoded
/// window's origin) and `taps` weights, summing to 1, of the source pixels that
/// make it. Every output has the same number of taps (zero-padded), so the inner loops have a
/// fixed trip count and no branch mispredicts on it.
struct ResampleWeights {
    private var start: [Int32] = []
    private var weight: [Float] = []
    private(set) var taps = 0
    private(set) var firstSource = Int.max
    private(set) var lastSource = 0

    /// Weights for outputs first..<first+count of a `source`-long axis scaled to `scaled`, where
    /// only source pixels origin..<origin+available were decoded.
    init(source: Int, scaled: Int, first: Int, count: Int, origin: Int = 0, available: Int? = nil) {
        let available = available ?? source
        let ratio = Double(source) / Double(scaled)
        // Area weights span at most ceil(ratio) + 1 source pixels; bilinear ones 2.
        taps = max(1, min(available, ratio >= 1 ? Int(ratio.rounded(.up)) + 1 : 2))
        start.reserveCapacity(count)
        weight.reserveCapacity(count * taps)
        var exact = [Double](repeating: 0, count: taps)
        for o in first..<(first + count) {
            for t in 0..<taps { exact[t] = 0 }
            var begin: Int
            if ratio >= 1 {
                // Area: output pixel o covers the source interval [o·ratio, (o+1)·ratio).
                let lo = Double(o) * ratio, hi = min(Double(source), Double(o + 1) * ratio)
                begin = Int(lo.rounded(.down))
                for t in 0..<taps where begin + t < source {
                    exact[t] = max(0, min(hi, Double(begin + t + 1)) - max(lo, Double(begin + t))) / (hi - lo)
                }
            } else {
                // Bilinear: the output centre maps to source position c, split between floor(c) and the next pixel.
                let c = min(max((Double(o) + 0.5) * ratio - 0.5, 0), Double(source - 1))
                begin = Int(c.rounded(.down))
                exact[0] = 1 - (c - Double(begin))
                if taps > 1 { exact[1] = c - Double(begin) }
            }
            // At the far edge, shift the window left so that it stays inside the decoded pixels;
            // the weights shifted out are zeros (the real taps always lie inside).
            let limit = min(source, origin + available)
            if begin + taps > limit {
                let shift = begin + taps - limit
                begin -= shift
                exact = Array(repeating: 0, count: shift) + exact.dropLast(shift)
            }
            // Rounded to Float, the weights may sum to 1 ± 1e-7: far below a grey level.
            let fixed = exact.map { Float($0) }
            let relative = begin - origin
            precondition(relative >= 0 && relative + taps <= available, "ResampleWeights: the decoded window must cover every tap.")
            firstSource = min(firstSource, relative)
            lastSource = max(lastSource, relative + taps)
            start.append(Int32(relative))
            weight.append(contentsOf: fixed)
        }
    }

    /// Calls `body` with the start indices, the tap count and the weights (taps per output).
    func withTables<R>(_ body: (UnsafeBufferPointer<Int32>, Int, UnsafeBufferPointer<Float>) -> R) -> R {
        start.withUnsafeBufferPointer { s in weight.withUnsafeBufferPointer { w in body(s, taps, w) } }
    }
}
