import ArgumentParser
import CurateCore
import Foundation
import Imaging
import Render

extension Curate {
    struct RenderText: ParsableCommand, Exemplified {
        static let example = #"curate render "a photo of a dog" -o dog.png    # the 224x224 image CLIPPO sees"#
        static let configuration = CommandConfiguration(
            commandName: "render",
            abstract: "Render text with GNU Unifont exactly as CLIPPO (big_vision's render_unifont) feeds it to the model.",
            discussion: """
            Writes a PNG of the text as the model sees it: by default 224x224, Unifont at 16 px,
            lower-cased (ASCII only), at most 768 code points, glyphs trimmed to their ink, lines
            broken as big_vision breaks them (anywhere in a word), black (0) on grey (127). The
            PNG is grayscale (the model's three channels are equal); --rgb writes them all.
            Reports how many code points were drawn and how many fell below the last line.
            TEXT "-" reads the text from standard input. The font is /usr/share/unifont/unifont.hex
            (Debian's unifont package) unless --font or $CURATE_UNIFONT names another .hex file.
            Sources/Render/README.md describes the algorithm.

            Example:
              \(example)
              curate render --size 384 --word-wrap --newlines "first line\\nsecond" -o two.png
            """
        )

        @Argument(help: "The text to render, or - to read it from standard input.")
        var text: String

        @Option(name: [.short, .customLong("output")], help: "The PNG to write.")
        var output: String

        @Option(help: "Canvas width and height in pixels (big_vision's image_size).")
        var size = 224

        @Option(help: "Glyph cell size; 16 is Unifont's own, others are area-resized as big_vision does.")
        var fontSize = 16

        @Option(help: "Draw at most this many code points (0 = all).")
        var maxChars = 768

        @Flag(help: "Keep every glyph's whole cell instead of trimming it to its ink.")
        var monospace = false

        @Flag(help: "Wrap at spaces (curate's own) instead of big_vision's break anywhere.")
        var wordWrap = false

        @Flag(help: "Start a new line at \\n, \\r\\n or \\r (curate's own; big_vision draws them as boxes).")
        var newlines = false

        @Flag(help: "Keep the case (big_vision lower-cases A-Z).")
        var noLower = false

        @Option(help: "Unifont .hex file (default $CURATE_UNIFONT, else /usr/share/unifont/unifont.hex).")
        var font: String?

        @Flag(help: "Write three equal channels instead of one.")
        var rgb = false

        var options: RenderOptions {
            var options = RenderOptions.clippo
            options.imageSize = size
            options.fontSize = fontSize
            options.maxCharacters = maxChars
            options.monospace = monospace
            options.wrap = wordWrap ? .word : .bigVision
            options.newlines = newlines
            options.lowercase = !noLower
            return options
        }

        func validate() throws {
            do { try options.validate() } catch let error as RenderError { throw CommandFailure(error.description) }
        }

        func run() throws {
            let input = text == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : text
            let renderer: TextRenderer
            do {
                renderer = try TextRenderer(font: Unifont.load(path: font), options: options)
            } catch let error as RenderError {
                throw CommandFailure(error.description)
            }
            let image = renderer.renderGray(input)
            let png = try rgb ? image.rgb.encoded(.png) : image.encodedPNG()
            do { try AtomicFile.write(png, to: output) } catch let error as AtomicFile.WriteError { throw CommandFailure(error.description) }
            let glyphs = renderer.layout(input).filter { $0.glyph >= 0 }
            let visible = glyphs.filter { Int($0.line) < options.visibleLines }
            let codePoints = input.unicodeScalars.count
            var report = "wrote \(output): \(size)x\(size), \(visible.count) of \(codePoints) code points drawn"
            report += " on \(Set(visible.map(\.line)).count) line(s)"
            if glyphs.count > visible.count { report += ", \(glyphs.count - visible.count) below the last line" }
            if options.maxCharacters > 0 && codePoints > options.maxCharacters { report += ", \(codePoints - options.maxCharacters) past --max-chars" }
            print(report)
        }
    }
}
