import Foundation
import Testing
@testable import Render

/// A hand-made .hex font whose trims are easy to compute by hand (cell columns 0-15):
///   a  half-width, ink in columns 2-5      → first 1, width 5  (one blank column before, none after)
///   b  full-width, ink in columns 0-15     → first 0, width 16
///   c  half-width, ink in column 7 only    → first 6, width 4  (min width reaches into the empty right half)
///   d  full-width, ink in column 15 only   → first 14, width 2 (min width would pass the cell edge: clipped)
///   space blank                             → first 0, width 4
///   z  not in the font                      → blank, width 4
enum HandFont {
    static let lines = [
        "0020:00000000000000000000000000000000",
        "0061:" + String(repeating: "3C", count: 16),
        "0062:" + String(repeating: "FFFF", count: 16),
        "0063:" + String(repeating: "01", count: 16),
        "0064:" + String(repeating: "0001", count: 16),
    ]

    static let font: Unifont = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("curate-hand-font-\(getpid()).hex")
        try! (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .ascii)
        return try! Unifont.load(path: url.path)
    }()

    static func renderer(size: Int = 32, _ change: (inout RenderOptions) -> Void = { _ in }) -> TextRenderer {
        var options = RenderOptions.clippo
        options.imageSize = size
        change(&options)
        return try! TextRenderer(font: font, options: options)
    }
}

@Suite struct LayoutTests {
    /// (x, line, width) of each glyph.
    func placement(_ renderer: TextRenderer, _ text: String) -> [[Int32]] {
        renderer.layout(text).map { [$0.x, $0.line, $0.width] }
    }

    @Test func trimsMatchTheHandComputedWidths() {
        let glyphs = HandFont.renderer().layout("abcd z")
        #expect(glyphs.map(\.firstColumn) == [1, 0, 6, 14, 0, 0])
        #expect(glyphs.map(\.width) == [5, 16, 4, 2, 4, 4])
        #expect(TextRenderer.trim(ink: nil, cell: 16, spacing: 1, minWidth: 4) == (0, 4))
        #expect(TextRenderer.trim(ink: (0, 15), cell: 16, spacing: 3, minWidth: 4) == (0, 16))
        #expect(TextRenderer.trim(ink: (9, 9), cell: 16, spacing: 2, minWidth: 0) == (7, 4))
    }

    /// size 32, widest 5 → divisor 27: running sums 5…25 stay on line 0, 30 → ⌊30/27⌋ = 1.
    @Test func bigVisionBreaksWhereTheRunningSumPassesSizeMinusWidest() {
        let renderer = HandFont.renderer()
        #expect(placement(renderer, "aaaaa").map { $0[1] } == [0, 0, 0, 0, 0])
        #expect(placement(renderer, "aaaaaa").last! == [0, 1, 5])
    }

    /// One wide glyph anywhere changes every break: widest 16 → divisor 16; sums 5, 10, 15 → line 0;
    /// 20, 25 → line 1 (packed from x = 0); 41 → line 2.
    @Test func theWidestGlyphOfTheWholeStringSetsTheDivisor() {
        let renderer = HandFont.renderer()
        #expect(placement(renderer, "aaaaab") == [[0, 0, 5], [5, 0, 5], [10, 0, 5], [0, 1, 5], [5, 1, 5], [0, 2, 16]])
        // Without the b, the same five a's fit one line.
        #expect(Set(placement(renderer, "aaaaa").map { $0[1] }) == [0])
    }

    /// Monospace at 224: every glyph 16 wide, divisor 208; glyph 12's sum is 208 → line 1, glyph 25's
    /// is 416 → line 2. The first line holds twelve glyphs, the next ones thirteen, never the
    /// fourteen that would fit (line k takes the glyphs whose inclusive running sum is in [208k, 208k+208)).
    @Test func monospaceFitsTwelveThenThirteenCellsOn224() throws {
        var options = RenderOptions.clippo
        options.monospace = true
        let renderer = try TextRenderer(font: HandFont.font, options: options)
        let lines = renderer.layout(String(repeating: "a", count: 30)).map(\.line)
        #expect(lines.prefix(12).allSatisfy { $0 == 0 } && lines[12] == 1 && lines[24] == 1 && lines[25] == 2)
        #expect(renderer.layout("aaaaaaaaaaaaaa").map(\.x)[12...] == [0, 16])
    }

    @Test func lowerCasingIsASCIIOnlyAndTruncationCountsCodePoints() throws {
        let renderer = try TextRenderer(font: HandFont.font)
        #expect(renderer.layout("ÀBÇd").map(\.scalar) == [0xC0, 0x62, 0xC7, 0x64])
        #expect(renderer.layout(String(repeating: "é", count: 1000)).count == 768)
        var unlimited = RenderOptions.clippo
        unlimited.maxCharacters = 0
        #expect(try TextRenderer(font: HandFont.font, options: unlimited).layout(String(repeating: "b", count: 1000)).count == 1000)
        var upper = RenderOptions.clippo
        upper.lowercase = false
        #expect(try TextRenderer(font: HandFont.font, options: upper).layout("AB").map(\.scalar) == [0x41, 0x42])
    }

    @Test func beyondPlaneZeroIsTheBlankGlyph() {
        let glyph = HandFont.renderer().layout("\u{1F436}").first!
        #expect(glyph.scalar == 0x1F436 && glyph.glyph == Int32(Unifont.blankGlyph) && glyph.width == 4)
    }

    /// Word wrap at 32 px: "aa aa " fills 0-28; the 7-a word (35 px) is wider than a line, so it is
    /// broken where it overflows: one line of six a's, then the seventh.
    @Test func wordWrapMovesWordsAndBreaksOnlyOverlongOnes() {
        let renderer = HandFont.renderer { $0.wrap = .word }
        let placed = placement(renderer, "aa aa aaaaaaa")
        #expect(placed.map { $0[0] } == [0, 5, 10, 14, 19, 24, 0, 5, 10, 15, 20, 25, 0])
        #expect(placed.map { $0[1] } == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2])
        // A word that fits a line moves whole; the space before it stays at the end of line 0.
        let moved = placement(renderer, "aaaa aaa")
        #expect(moved.map { $0[1] } == [0, 0, 0, 0, 0, 1, 1, 1] && moved[5][0] == 0)
        // Spaces that overflow the line take no room; the next word starts line 1 at x = 0.
        let spaces = placement(renderer, "aaaaa    aa")
        #expect(spaces[5...].map { $0[2] } == [4, 0, 0, 0, 5, 5])
        #expect(spaces[5...].map { $0[1] } == [0, 0, 0, 0, 1, 1] && spaces[9][0] == 0)
    }

    @Test func newlinesStartParagraphsWhenAskedAndAreGlyphsOtherwise() {
        // At 64 px the divisor is 64 - 16 = 48 (at 32 a lone b would already sum to the divisor and
        // open line 1 with an empty line 0, as big_vision would draw it).
        let honoured = HandFont.renderer(size: 64) { $0.newlines = true }
        #expect(honoured.layout("aa\nb").filter { !$0.isBreak }.map { [$0.x, $0.line] } == [[0, 0], [5, 0], [0, 1]])
        #expect(honoured.layout("a\r\n\nb").filter { !$0.isBreak }.map(\.line) == [0, 2])
        let words = HandFont.renderer(size: 64) { $0.newlines = true; $0.wrap = .word }
        #expect(words.layout("a\n  a").filter { !$0.isBreak }.map { [$0.x, $0.line] } == [[0, 0], [0, 1], [4, 1], [8, 1]])
        // big_vision draws the control character's glyph (blank in the hand font: width 4).
        #expect(HandFont.renderer().layout("a\na").map { [$0.x, $0.line] } == [[0, 0], [5, 0], [9, 0]])
        #expect(HandFont.renderer().layout("b").map(\.line) == [1])
    }

    @Test func optionsOutsideTheLayoutAreRefused() {
        var options = RenderOptions.clippo
        options.imageSize = 16
        #expect(throws: RenderError.self) { try options.validate() }
        options = .clippo
        options.fontSize = 0
        #expect(throws: RenderError.self) { try options.validate() }
        #expect(RenderOptions.clippo.visibleLines == 14)
    }
}
