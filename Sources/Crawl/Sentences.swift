/// Whitespace collapsing and sentence splitting for page text.
///
/// Sentences end at `.`, `!`, `?` or `…` (with any closing quotes or brackets after them)
/// followed by a space and a character that is not a lower-case letter, unless the word before
/// the period is a known abbreviation ("Dr.", "e.g.", "Fig.") or a single letter (an initial);
/// and at `。`, `！`, `？` with nothing after them needed (Chinese and Japanese put no space).
/// A sentence is kept when it has at least three words, or six characters of a script written
/// without spaces; shorter pieces (menu items, dates, bylines) are not sentences.
enum Sentences {
    /// Collapses runs of white space (including no-break space) to one space and trims the ends.
    static func collapse(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for s in text.unicodeScalars {
            if s == " " || s == "\n" || s == "\t" || s == "\r" || s == "\u{0C}" || s == "\u{A0}" || s.properties.isWhitespace {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" "); pendingSpace = false }
                out.append(s)
            }
        }
        return String(out)
    }

    static let abbreviations: Set<String> = [
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "ft", "vs", "etc", "e.g", "i.e", "cf", "al",
        "no", "nos", "fig", "figs", "vol", "pp", "p", "ed", "eds", "inc", "ltd", "co", "corp", "dept", "gen", "gov",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx", "ca", "u.s", "u.k",
    ]
    private static let closers: Set<Character> = ["\"", "'", "”", "’", ")", "]", "»", "」", "』", "）"]

    /// Splits one block of collapsed text into sentences, in order, keeping only real sentences.
    static func split(_ text: String) -> [String] {
        var sentences: [String] = []
        let chars = Array(text)
        var start = 0
        var i = 0
        func emit(_ end: Int) {
            let piece = String(chars[start..<end]).trimmingSpaces
            if isSentence(piece) { sentences.append(piece) }
            start = end
        }
        while i < chars.count {
            let c = chars[i]
            if c == "。" || c == "！" || c == "？" {
                var j = i + 1
                while j < chars.count && closers.contains(chars[j]) { j += 1 }
                emit(j)
                i = j
                continue
            }
            if c == "." || c == "!" || c == "?" || c == "…" {
                var j = i + 1
                while j < chars.count && (chars[j] == "." || chars[j] == "!" || chars[j] == "?") { j += 1 }
                while j < chars.count && closers.contains(chars[j]) { j += 1 }
                if j + 1 < chars.count && chars[j] == " " && !chars[j + 1].isLowercase && !(c == "." && isAbbreviation(chars, before: i)) {
                    emit(j)
                    i = j + 1
                    continue
                }
                i = j
                continue
            }
            i += 1
        }
        if start < chars.count { emit(chars.count) }
        return sentences
    }

    private static func isAbbreviation(_ chars: [Character], before period: Int) -> Bool {
        var k = period
        while k > 0 && (chars[k - 1].isLetter || chars[k - 1] == ".") { k -= 1 }
        let word = String(chars[k..<period]).lowercased()
        if word.count == 1 && word.first!.isLetter { return true }          // an initial: "J. Smith"
        return abbreviations.contains(word)
    }

    static func isSentence(_ s: String) -> Bool {
        var words = 0, unspaced = 0, inWord = false
        for ch in s {
            if ch.isLetter || ch.isNumber {
                if let v = ch.unicodeScalars.first?.value, isUnspacedScript(v) { unspaced += 1; inWord = false; continue }
                if !inWord { words += 1; inWord = true }
            } else if ch == " " {
                inWord = false
            }
        }
        return words >= 3 || unspaced >= 6 || (unspaced >= 2 && words + unspaced >= 6)
    }

    /// Scripts written without spaces between words: CJK ideographs, kana, Thai, Lao, Khmer, Myanmar.
    static func isUnspacedScript(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x3040...0x30FF).contains(v) ||
            (0x0E00...0x0EFF).contains(v) || (0x1780...0x17FF).contains(v) || (0x1000...0x109F).contains(v) ||
            (0xF900...0xFAFF).contains(v) || (0x20000...0x2FFFF).contains(v)
    }
}
