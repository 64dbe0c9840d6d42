/// Line breaking: big_vision's arithmetic (the default) and curate's word wrap.
extension TextRenderer {
    /// big_vision's `to_image`: with wᵢ the trimmed widths, cᵢ = w₀+…+wᵢ (the running sum
    /// *including* glyph i) and W the widest glyph of the whole string (drawn or not), glyph i goes
    /// to line ⌊cᵢ / (size − W)⌋, computed in Float32 as TensorFlow does, and a line's glyphs are
    /// packed from x = 0. With `newlines`, each paragraph is laid out so and starts a new line.
    func layOutBigVision(_ glyphs: UnsafeMutableBufferPointer<PlacedGlyph>) {
        var widest: Int32 = 0
        for placed in glyphs where !placed.isBreak { widest = max(widest, placed.width) }
        let divisor = Float(Int32(options.imageSize) - widest)
        var paragraphLine: Int32 = 0  // first line of the current paragraph
        var lastLine: Int32 = 0       // last line the current paragraph reached
        var sum: Int32 = 0            // running width within the paragraph
        var currentLine: Int32 = -1, lineStart: Int32 = 0
        for i in glyphs.indices {
            if glyphs[i].isBreak {
                glyphs[i].line = lastLine
                paragraphLine = lastLine + 1
                lastLine = paragraphLine
                sum = 0
                currentLine = -1
                continue
            }
            let start = sum
            sum += glyphs[i].width
            let line = paragraphLine + Int32((Float(sum) / divisor).rounded(.down))
            if line != currentLine { currentLine = line; lineStart = start }
            glyphs[i].line = line
            glyphs[i].x = start - lineStart
            lastLine = line
        }
    }

    /// Greedy word wrap over the full width: a word (a run without U+0020) moves to the next line
    /// when it does not fit the rest of this one but fits a line; a longer word is broken where it
    /// overflows. Spaces that would overflow a line are dropped (width 0), so a wrapped line never
    /// starts with one; spaces after an explicit line break are kept, as indentation.
    func layOutWords(_ glyphs: UnsafeMutableBufferPointer<PlacedGlyph>) {
        let lineWidth = Int32(options.imageSize)
        var x: Int32 = 0, line: Int32 = 0
        func newLine() { x = 0; line += 1 }
        var i = 0
        while i < glyphs.count {
            if glyphs[i].isBreak {
                glyphs[i].line = line
                newLine()
                i += 1
                continue
            }
            if glyphs[i].scalar == 0x20 {
                if x + glyphs[i].width > lineWidth {
                    glyphs[i].width = 0  // dropped at a break
                }
                glyphs[i].x = x; glyphs[i].line = line
                x += glyphs[i].width
                i += 1
                continue
            }
            var end = i, wordWidth: Int32 = 0
            while end < glyphs.count && !glyphs[end].isBreak && glyphs[end].scalar != 0x20 {
                wordWidth += glyphs[end].width
                end += 1
            }
            if x > 0 && x + wordWidth > lineWidth && wordWidth <= lineWidth { newLine() }
            for j in i..<end {
                if x > 0 && x + glyphs[j].width > lineWidth { newLine() }
                glyphs[j].x = x; glyphs[j].line = line
                x += glyphs[j].width
            }
            i = end
        }
    }
}
