import Dispatch
import Foundation
import Imaging
import Testing
@testable import Render

@Suite struct UnifontTests {
    @Test func debiansFontHasHalfAndFullWidthGlyphsOfPlaneZeroOnly() throws {
        let font = try Unifont.load()
        #expect(font.glyphCount > 55_000)  // 57,086 lines in Debian 12's unifont 15.0.01
        #expect(font.cellWidth("a") == 8 && font.cellWidth("東") == 16 && font.cellWidth("\u{E000}") == 0)
        #expect(!font.hasGlyph("\u{1F436}") && font.cellWidth("\u{1F436}") == 0)
        // 'A' in Unifont: rows 0x18, 0x24, 0x42 … sit in the high byte (left half of the cell).
        let rows = (0..<16).map { font.row($0, of: "A") }
        #expect(rows.allSatisfy { $0 & 0x00FF == 0 } && rows.contains { $0 != 0 })
    }

    @Test func aFontIsReadOncePerProcessAndPath() throws {
        #expect(try Unifont.load() === Unifont.load(path: Unifont.defaultPath))
        #expect(Unifont.resolvedPath("/x/font.hex") == "/x/font.hex")
    }

    @Test func aBrokenFontIsAOneLineErrorWithItsLineNumber() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("curate-bad-font-\(getpid()).hex")
        try "0041:0000000000000000000000000000000000\n0042:00\n".write(to: url, atomically: true, encoding: .ascii)
        #expect {
            try Unifont.read(path: url.path)
        } throws: { error in
            guard case RenderError.malformedFont(_, let line, let what) = error else { return false }
            return line == 1 && what.contains("34 hex digits") && !"\(error)".contains("\n")
        }
        #expect {
            try Unifont.read(path: "/nonexistent/unifont.hex")
        } throws: { error in
            guard case RenderError.fontUnreadable = error else { return false }
            return "\(error)".contains("apt-get install unifont")
        }
    }

    @Test func linesBeyondPlaneZeroAreCountedAndIgnored() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("curate-upper-font-\(getpid()).hex")
        try "0041:\(String(repeating: "18", count: 16))\n1F436:\(String(repeating: "FFFF", count: 16))\n".write(to: url, atomically: true, encoding: .ascii)
        let font = try Unifont.read(path: url.path)
        #expect(font.glyphCount == 1 && font.skippedBeyondPlane0 == 1 && !font.hasGlyph("\u{1F436}"))
    }
}

@Suite struct RendererTests {
    @Test func grayRGBAndBufferRendersAgree() throws {
        let renderer = try TextRenderer(font: Unifont.load())
        let text = "A photo of 東京 at night, café"
        let gray = renderer.renderGray(text), rgb = renderer.renderRGB(text)
        #expect(gray.rgb == rgb)
        #expect(Set(gray.pixels) == [0, 127])
        var buffer = [UInt8](repeating: 9, count: 224 * 224)
        buffer.withUnsafeMutableBufferPointer { renderer.render(text, into: $0, channels: 1) }
        #expect(buffer == gray.pixels)
        // Two channels take the bit-by-bit path (no word masks): the same pixels as the fast path.
        var two = [UInt8](repeating: 9, count: 224 * 224 * 2)
        two.withUnsafeMutableBufferPointer { renderer.render(text, into: $0, channels: 2) }
        #expect(stride(from: 0, to: two.count, by: 2).map { two[$0] } == gray.pixels)
        #expect(stride(from: 1, to: two.count, by: 2).map { two[$0] } == gray.pixels)
        // The grayscale PNG decodes to the same pixels on three channels.
        #expect(try ImageDecoder.decode(gray.encodedPNG()) == rgb)
    }

    @Test func renderingFromManyThreadsGivesTheSameImages() throws {
        let renderer = try TextRenderer(font: Unifont.load())
        let texts = (0..<64).map { "caption number \($0) with some words, Ω and 写真 \(String(repeating: "x", count: $0))" }
        let expected = texts.map { renderer.renderGray($0).pixels }
        let results = UnsafeMutableBufferPointer<[UInt8]>.allocate(capacity: texts.count)
        results.initialize(repeating: [])
        defer { results.deinitialize(); results.deallocate() }
        nonisolated(unsafe) let slots = results
        DispatchQueue.concurrentPerform(iterations: texts.count) { slots[$0] = renderer.renderGray(texts[$0]).pixels }
        #expect(Array(results) == expected)
    }

    @Test func curatesOwnOptionsChangeTheImage() throws {
        let font = try Unifont.load()
        let text = "Hello\nworld, this caption is long enough to need a second line somewhere"
        var options = RenderOptions.clippo
        let plain = try TextRenderer(font: font, options: options).renderGray(text)
        options.newlines = true
        #expect(try TextRenderer(font: font, options: options).renderGray(text) != plain)
        options = .clippo
        options.wrap = .word
        let wrapped = try TextRenderer(font: font, options: options)
        #expect(wrapped.renderGray(text) != plain)
        // No word is split across lines when every word fits a line.
        let glyphs = wrapped.layout(text)
        for (a, b) in zip(glyphs, glyphs.dropFirst()) where a.scalar != 0x20 && b.scalar != 0x20 && a.scalar != 0x0A {
            #expect(a.line == b.line, "a word was split between \(UnicodeScalar(a.scalar)!) and \(UnicodeScalar(b.scalar)!)")
        }
    }

    @Test func textBeyondTheLastLineIsDroppedNotSqueezed() throws {
        let renderer = try TextRenderer(font: Unifont.load())
        let glyphs = renderer.layout(String(repeating: "word ", count: 150))
        let last = try #require(glyphs.last)
        #expect(last.line > 13)
        // Exactly 14 lines carry ink: rows 0..223 are used, nothing wraps back.
        let image = renderer.renderGray(String(repeating: "word ", count: 150))
        let inkedRows = (0..<224).filter { y in (0..<224).contains { image[$0, y] == 0 } }
        #expect(inkedRows.max()! >= 13 * 16 && inkedRows.max()! < 224)
    }
}
