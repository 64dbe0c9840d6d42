// The Unifont renderer alone, on one thread: texts from a file (one per line; `make bench` writes
// the peer's own 10-30-word alt texts, bench/render_bench.py), rendered at 224x224 with
// big_vision's CLIPPO options. The peer (../shared/bench/peers/unifont_render.py) returns a new
// 224x224x3 uint8 array per text; `renderRGB` does the same, the other rows show the variants.
import Foundation
import Imaging
import Render

func renderStages(_ path: String) {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        FileHandle.standardError.write(Data("curate-bench: cannot read texts from \(path)\n".utf8))
        exit(1)
    }
    let texts = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    let loadStart = now()
    let font: Unifont
    do { font = try Unifont.load() } catch {
        FileHandle.standardError.write(Data("curate-bench: \(error)\n".utf8))
        exit(1)
    }
    let loadMs = (now() - loadStart) * 1000
    let renderer = try! TextRenderer(font: font)
    let setupMs = (now() - loadStart) * 1000 - loadMs
    let words = texts.map { $0.split(separator: " ").count }
    print(String(format: "# curate-bench render: %d texts, %d-%d words (mean %.1f); font load %.0f ms, renderer setup %.0f ms; reps=%d",
                 texts.count, words.min() ?? 0, words.max() ?? 0, Double(words.reduce(0, +)) / Double(max(texts.count, 1)),
                 loadMs, setupMs, options.reps))

    /// Renders per second over all texts, once per repetition, after one warm-up pass.
    func rates(_ body: (String) -> Void) -> [Double] {
        for t in texts { body(t) }
        return (0..<options.reps).map { _ in
            let start = now()
            for t in texts { body(t) }
            return Double(texts.count) / (now() - start)
        }
    }
    var sink = 0
    let rgb = rates { sink &+= Int(renderer.renderRGB($0).pixels[0]) }
    var buffer = [UInt8](repeating: 0, count: 224 * 224 * 3)
    let intoRGB = rates { t in buffer.withUnsafeMutableBufferPointer { renderer.render(t, into: $0, channels: 3) } }
    let gray = rates { sink &+= Int(renderer.renderGray($0).pixels[0]) }
    var wordOptions = RenderOptions.clippo
    wordOptions.wrap = .word
    let wordRenderer = try! TextRenderer(font: font, options: wordOptions)
    let word = rates { sink &+= Int(wordRenderer.renderRGB($0).pixels[0]) }
    let layout = rates { sink &+= renderer.layout($0).count }

    print("render 224x224, 1 thread                renders/s (min..max)      us/render")
    for (name, r) in [("renderRGB (new RGB8 image, as the peer)", rgb), ("render(into:) RGB8, reused buffer", intoRGB),
                      ("renderGray (new 1-channel image)", gray), ("renderRGB, --word-wrap", word),
                      ("layout only (no pixels)", layout)] {
        print("\((name as NSString).padding(toLength: 40, withPad: " ", startingAt: 0)) \(format(r))  \(String(format: "%8.2f", 1e6 / median(r)))")
    }
    if sink == 42 { print("") }  // keeps the renders from being optimised away
    if let json = options.json {
        append(String(format: "{\"stage\": \"curate-render-rgb\", \"renders_per_s\": %.1f, \"font_load_ms\": %.1f}\n", median(rgb), loadMs), to: json)
    }
}
