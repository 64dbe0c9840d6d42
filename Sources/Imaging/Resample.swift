/// Separable resampling with precomputed weights: area averaging when shrinking (each output
/// pixel is the exact mean of the source area it covers, OpenCV's INTER_AREA), bilinear when
/// enlarging. Only the output window that is kept is computed.
extension RGBImage {
    /// This image resized as `mode` says.
    public func resized(_ mode: ResizeMode) -> RGBImage {
        let p = mode.plan(width: width, height: height)
        let window = resampled(scaledWidth: p.scaledWidth, scaledHeight: p.scaledHeight,
                               cropX: p.cropX, cropY: p.cropY, cropWidth: p.cropWidth, cropHeight: p.cropHeight)
        guard case .pad(_, let fill) = mode else { return window }
        var canvas = RGBImage(width: p.outputWidth, height: p.outputHeight, fill: fill)
        for y in 0..<window.height {
            let dst = ((y + p.offsetY) * canvas.width + p.offsetX) * 3
            canvas.pixels.replaceSubrange(dst..<(dst + window.width * 3), with: window.pixels[(y * window.width * 3)..<((y + 1) * window.width * 3)])
        }
        return canvas
    }

    /// The window (cropX, cropY, cropWidth, cropHeight) of this image scaled to scaledWidth × scaledHeight.
    func resampled(scaledWidth: Int, scaledHeight: Int, cropX: Int, cropY: Int, cropWidth: Int, cropHeight: Int) -> RGBImage {
        if scaledWidth == width, scaledHeight == height, cropX == 0, cropY == 0, cropWidth == width, cropHeight == height {
            return self
        }
        let columns = ResampleWeights(source: width, scaled: scaledWidth, first: cropX, count: cropWidth)
        let rows = ResampleWeights(source: height, scaled: scaledHeight, first: cropY, count: cropHeight)
        let firstRow = rows.start.min()!, lastRow = rows.start.indices.map { rows.start[$0] + rows.taps(of: $0) }.max()!

        // Horizontal pass over the source rows the vertical pass needs, into Floats.
        let rowLength = cropWidth * 3
        var horizontal = [Float](repeating: 0, count: (lastRow - firstRow) * rowLength)
        pixels.withUnsafeBufferPointer { src in
            horizontal.withUnsafeMutableBufferPointer { tmp in
                for sy in firstRow..<lastRow {
                    let srcRow = sy * width * 3, tmpRow = (sy - firstRow) * rowLength
                    for x in 0..<cropWidth {
                        var r: Float = 0, g: Float = 0, b: Float = 0
                        var at = srcRow + columns.start[x] * 3
                        for w in columns.weights(of: x) {
                            r += w * Float(src[at]); g += w * Float(src[at + 1]); b += w * Float(src[at + 2])
                            at += 3
                        }
                        tmp[tmpRow + x * 3] = r; tmp[tmpRow + x * 3 + 1] = g; tmp[tmpRow + x * 3 + 2] = b
                    }
                }
            }
        }
        // Vertical pass, rounding to bytes.
        return horizontal.withUnsafeBufferPointer { tmp in
            RGBImage.uninitialized(width: cropWidth, height: cropHeight) { dst in
                dst.initialize(repeating: 0)
                var acc = [Float](repeating: 0, count: rowLength)
                for y in 0..<cropHeight {
                    for i in 0..<rowLength { acc[i] = 0 }
                    var row = (rows.start[y] - firstRow) * rowLength
                    for w in rows.weights(of: y) {
                        for i in 0..<rowLength { acc[i] += w * tmp[row + i] }
                        row += rowLength
                    }
                    let out = y * rowLength
                    for i in 0..<rowLength { dst[out + i] = UInt8(max(0, min(255, acc[i] + 0.5))) }
                }
            }
        }
    }
}

/// For each output coordinate in a window: the first source index and the weights (summing to 1)
/// of the consecutive source pixels that make it.
struct ResampleWeights {
    private(set) var start: [Int] = []
    private var offsets: [Int] = [0]
    private var values: [Float] = []

    /// Weights for outputs first..<first+count of a `source`-long axis scaled to `scaled`.
    init(source: Int, scaled: Int, first: Int, count: Int) {
        let ratio = Double(source) / Double(scaled)
        for o in first..<(first + count) {
            var taps: [Float] = []
            var begin: Int
            if ratio >= 1 {
                // Area: output pixel o covers source interval [o·ratio, (o+1)·ratio).
                let lo = Double(o) * ratio, hi = min(Double(source), Double(o + 1) * ratio)
                begin = Int(lo.rounded(.down))
                var i = begin
                while Double(i) < hi {
                    let overlap = min(hi, Double(i + 1)) - max(lo, Double(i))
                    if overlap > 1e-9 { taps.append(Float(overlap / (hi - lo))) } else if i == begin { begin += 1 }
                    i += 1
                }
            } else {
                // Bilinear: the output centre maps to source position c; split between floor(c) and floor(c)+1.
                let c = min(max((Double(o) + 0.5) * ratio - 0.5, 0), Double(source - 1))
                begin = Int(c.rounded(.down))
                let f = c - Double(begin)
                if begin + 1 < source && f > 1e-9 { taps = [Float(1 - f), Float(f)] } else { taps = [1] }
            }
            start.append(begin)
            values.append(contentsOf: taps)
            offsets.append(values.count)
        }
    }

    func taps(of i: Int) -> Int { offsets[i + 1] - offsets[i] }
    func weights(of i: Int) -> ArraySlice<Float> { values[offsets[i]..<offsets[i + 1]] }
}
