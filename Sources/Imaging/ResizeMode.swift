/// How an image is brought to its target size.
public enum ResizeMode: Sendable, Equatable {
    /// Shorter side to `shorterSide` (default `s`) keeping the ratio, then the centred `s × s`
    /// square: img2dataset's center_crop, or with shorterSide 256 and s 224 the classic
    /// "resize 256, centre-crop 224" evaluation transform.
    case centerCrop(Int, shorterSide: Int? = nil)
    /// Shorter side to `s`, keeping the ratio (img2dataset's keep_ratio).
    case shorterSide(Int)
    /// Longer side to `s`, keeping the ratio (img2dataset's keep_ratio_largest).
    case longerSide(Int)
    /// Longer side to `s`, centred on an `s × s` canvas of `fill` (img2dataset's border).
    case pad(Int, fill: RGB)
    /// Exactly `width × height`, ignoring the ratio (big_vision's plain `resize(224)`).
    case stretch(width: Int, height: Int)

    /// Where the resized image lands: the full resized size, the window of it that is kept,
    /// and where that window sits on the output canvas.
    struct Plan: Equatable {
        var scaledWidth, scaledHeight: Int
        var cropX, cropY, cropWidth, cropHeight: Int
        var outputWidth, outputHeight: Int
        var offsetX, offsetY: Int
    }

    func plan(width: Int, height: Int) -> Plan {
        precondition(width > 0 && height > 0, "ResizeMode.plan needs a non-empty image.")
        func scaled(_ side: Int, by target: Int, of reference: Int) -> Int {
            max(1, Int((Double(side) * Double(target) / Double(reference)).rounded()))
        }
        func keepRatio(_ target: Int, reference: Int) -> (Int, Int) {
            width == reference && height == reference ? (target, target)
                : (width == reference ? target : scaled(width, by: target, of: reference),
                   height == reference ? target : scaled(height, by: target, of: reference))
        }
        switch self {
        case .centerCrop(let s, let shorterSide):
            let (w, h) = keepRatio(shorterSide ?? s, reference: min(width, height))
            let cw = min(s, w), ch = min(s, h)
            return Plan(scaledWidth: w, scaledHeight: h, cropX: (w - cw) / 2, cropY: (h - ch) / 2, cropWidth: cw, cropHeight: ch,
                        outputWidth: cw, outputHeight: ch, offsetX: 0, offsetY: 0)
        case .shorterSide(let s), .longerSide(let s):
            let reference = self == .shorterSide(s) ? min(width, height) : max(width, height)
            let (w, h) = keepRatio(s, reference: reference)
            return Plan(scaledWidth: w, scaledHeight: h, cropX: 0, cropY: 0, cropWidth: w, cropHeight: h,
                        outputWidth: w, outputHeight: h, offsetX: 0, offsetY: 0)
        case .pad(let s, _):
            let (w, h) = keepRatio(s, reference: max(width, height))
            return Plan(scaledWidth: w, scaledHeight: h, cropX: 0, cropY: 0, cropWidth: w, cropHeight: h,
                        outputWidth: s, outputHeight: s, offsetX: (s - w) / 2, offsetY: (s - h) / 2)
        case .stretch(let w, let h):
            return Plan(scaledWidth: w, scaledHeight: h, cropX: 0, cropY: 0, cropWidth: w, cropHeight: h,
                        outputWidth: w, outputHeight: h, offsetX: 0, offsetY: 0)
        }
    }

    /// The smallest decoded size that still resizes down to this mode's result: what a decoder
    /// may reduce an image of `width × height` to without losing detail the output keeps.
    public func minimumDecodeSize(width: Int, height: Int) -> (width: Int, height: Int) {
        let p = plan(width: width, height: height)
        return (min(width, p.scaledWidth), min(height, p.scaledHeight))
    }

    /// The source pixels (columns x, rows y) that resizing a `width × height` image reads.
    public func sourceWindow(width: Int, height: Int) -> (x: Range<Int>, y: Range<Int>) {
        let p = plan(width: width, height: height)
        let columns = ResampleWeights(source: width, scaled: p.scaledWidth, first: p.cropX, count: p.cropWidth)
        let rows = ResampleWeights(source: height, scaled: p.scaledHeight, first: p.cropY, count: p.cropHeight)
        return (columns.firstSource..<columns.lastSource, rows.firstSource..<rows.lastSource)
    }
}
