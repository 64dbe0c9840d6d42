// metrics.png: the training loss (left) and the val recall@1 curves with chance (right), drawn
// from metrics.jsonl with no plotting library: lines on an RGB8 canvas, titles in Unifont.
import Foundation
import CurateCore
import Imaging
import Render

public enum MetricsPlot {
    static let panel = (width: 480, height: 300), margin = 24

    /// Reads `metrics` (JSON lines) and writes the PNG to `path` atomically.
    public static func write(metrics: String, to path: String) throws {
        let text = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
        var loss: [(Double, Double)] = [], imageToText: [(Double, Double)] = [], textToImage: [(Double, Double)] = [], chance: [(Double, Double)] = []
        for line in MetricsLine.lines(of: text) {
            let step = Double(line.step)
            if let value = line.loss { loss.append((step, value)) }
            if let eval = line.eval, let i2t = eval.imageToText.first, let t2i = eval.textToImage.first, let c = eval.textToImageChance.first {
                imageToText.append((step, i2t)); textToImage.append((step, t2i)); chance.append((step, c))
            }
        }
        var canvas = RGBImage(width: 2 * panel.width, height: panel.height, fill: .white)
        let font = try? Unifont.load()
        // Both panels start at 0; their tops are the largest value shown (named in the title).
        let lossTop = max(loss.map(\.1).max() ?? 1, 1e-6)
        let recallTop = min(1, max((imageToText + textToImage + chance).map(\.1).max() ?? 0.05, 0.01) * 1.15)
        draw(&canvas, x0: 0, series: [(loss, RGB(40, 40, 40))], title: String(format: "training loss (axis 0 to %.2f)", lossTop),
             font: font, yRange: (0, lossTop))
        draw(&canvas, x0: panel.width, series: [(imageToText, RGB(210, 40, 40)), (textToImage, RGB(40, 80, 220)), (chance, RGB(150, 150, 150))],
             title: String(format: "val R@1 (0 to %.3f): image>text red, text>image blue, chance grey", recallTop), font: font, yRange: (0, recallTop))
        try AtomicFile.write(try canvas.encoded(.png), to: path)
    }

    static func draw(_ canvas: inout RGBImage, x0: Int, series: [([(Double, Double)], RGB)], title: String, font: Unifont?, yRange: (Double, Double)?) {
        let points = series.flatMap(\.0)
        let left = x0 + margin + 8, right = x0 + panel.width - margin, top = margin + 16, bottom = panel.height - margin
        // Axes.
        for x in left...right { set(&canvas, x, bottom, RGB(0, 0, 0)) }
        for y in top...bottom { set(&canvas, left, y, RGB(0, 0, 0)) }
        if let font {
            var options = RenderOptions.clippo
            options.imageSize = 512
            options.lowercase = false
            if let renderer = try? TextRenderer(font: font, options: options) {
                let glyphs = renderer.renderGray(title)
                for y in 0..<16 { for x in 0..<min(glyphs.width, panel.width - margin) where glyphs[x, y] < 64 { set(&canvas, x0 + margin + x, 4 + y, RGB(0, 0, 0)) } }
            }
        }
        guard points.count >= 1 else { return }
        let xs = points.map(\.0), ys = points.map(\.1)
        let (xMin, xMax) = (xs.min()!, max(xs.max()!, xs.min()! + 1))
        let (yMin, yMax) = yRange ?? (min(ys.min()!, 0), max(ys.max()!, 1e-6))
        func px(_ x: Double) -> Int { left + Int((x - xMin) / (xMax - xMin) * Double(right - left)) }
        func py(_ y: Double) -> Int { bottom - Int((min(max(y, yMin), yMax) - yMin) / max(yMax - yMin, 1e-9) * Double(bottom - top)) }
        for (values, colour) in series {
            for (a, b) in zip(values, values.dropFirst()) { line(&canvas, px(a.0), py(a.1), px(b.0), py(b.1), colour) }
            if values.count == 1 { set(&canvas, px(values[0].0), py(values[0].1), colour) }
        }
    }

    static func line(_ canvas: inout RGBImage, _ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ colour: RGB) {
        let steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for i in 0...steps {
            let x = x0 + (x1 - x0) * i / steps, y = y0 + (y1 - y0) * i / steps
            set(&canvas, x, y, colour); set(&canvas, x, y + 1, colour)
        }
    }

    static func set(_ canvas: inout RGBImage, _ x: Int, _ y: Int, _ colour: RGB) {
        guard x >= 0, y >= 0, x < canvas.width, y < canvas.height else { return }
        let i = 3 * (y * canvas.width + x)
        canvas.pixels[i] = colour.r; canvas.pixels[i + 1] = colour.g; canvas.pixels[i + 2] = colour.b
    }
}
