/// Whitespace collapsing and sentence splitting for page text.
///
/// Sentences end at `.`, `!`, `?` or `…` (with any closing quotes or brackets after them)
/// followed by a space and a character that is not a lower-case letter, unless the word before
/// the period is a known abbreviation ("Dr.", "e.g.", "Fig.") or a single letter (an initial);
/// and at `。`, `！`, `？` with nothing after them needed (Chinese and Japanese put no space).
/// A sentence is kept when it has at least three words, or six characters of a script written
/// without spaces; shorter pieces (menu items, dates, bylines) are not sentences.
///
/// Both functions walk the UTF-8 bytes and decode a scalar only where a byte is not ASCII: page
/// text is most of what crawl-dump reads, and Swift's `Character` iteration (grapheme breaking,
/// canonical comparison) cost ten times the HTML parse. Letters are Unicode scalars with the
/// Alphabetic property; a combining mark therefore never splits a word.
enum Sentences {
    /// Collapses runs of white space (Unicode's White_Space, so also no-break space) to one space
    /// and trims the ends.
    static func collapse(_ text: String) -> String {
        var text = text
        return text.withUTF8 { collapse(utf8: $0) }
    }

    /// The same over bytes that may not be valid UTF-8 (they are repaired first).
    static func collapse(bytes: [UInt8]) -> String {
        var text = String(decoding: bytes, as: UTF8.self)
        return text.withUTF8 { collapse(utf8: $0) }
    }

    private static func collapse(utf8 bytes: UnsafeBufferPointer<UInt8>) -> String {
        // A C1 control (2 bytes) can become a 3-byte windows-1252 character.
        String(unsafeUninitializedCapacity: bytes.count + bytes.count / 2 + 1) { out in
            var n = 0, i = 0
            var pendingSpace = false
            while i < bytes.count {
                var (scalar, length) = UTF8Walk.scalar(bytes, at: i)
                if (0x80...0x9F).contains(scalar) { scalar = windows1252[Int(scalar - 0x80)] }
                if UTF8Walk.isWhiteSpace(scalar) {
                    pendingSpace = n > 0
                } else {
                    if pendingSpace { out[n] = 0x20; n += 1; pendingSpace = false }
                    if length == 2 && bytes[i] == 0xC2 && bytes[i + 1] <= 0x9F {
                        for byte in Unicode.Scalar(scalar)!.utf8 { out[n] = byte; n += 1 }
                    } else {
                        for k in 0..<length { out[n + k] = bytes[i + k] }
                        n += length
                    }
                }
                i += length
            }
            return n
        }
    }

    /// What HTML makes of the C1 controls U+0080-U+009F: numeric references such as `&#147;` mean
    /// the windows-1252 character with that byte (the HTML standard's table; html5lib and
    /// browsers agree). libxml2 2.9 keeps the control itself, so `collapse` maps it. A raw C1
    /// control in a page is the same windows-1252 mistake and is mapped the same way.
    private static let windows1252: [UInt32] = [
        0x20AC, 0x81, 0x201A, 0x192, 0x201E, 0x2026, 0x2020, 0x2021, 0x2C6, 0x2030, 0x160, 0x2039, 0x152, 0x8D, 0x17D, 0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x2DC, 0x2122, 0x161, 0x203A, 0x153, 0x9D, 0x17E, 0x178,
    ]

    static let abbreviations: Set<String> = [
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "ft", "vs", "etc", "e.g", "i.e", "cf", "al",
        "no", "nos", "fig", "figs", "vol", "pp", "p", "ed", "eds", "inc", "ltd", "co", "corp", "dept", "gen", "gov",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx", "ca", "u.s", "u.k",
    ]

    /// Quotes and brackets that may follow a sentence's final punctuation: " ' ” ’ ) ] » 」 』 ）
    private static func isCloser(_ v: UInt32) -> Bool {
        switch v {
        case 0x22, 0x27, 0x29, 0x5D, 0x201D, 0x2019, 0xBB, 0x300D, 0x300F, 0xFF09: true
        default: false
        }
    }

    /// 。！？: full stops of scripts written without spaces; they end a sentence by themselves.
    private static func isFullWidthEnd(_ v: UInt32) -> Bool { v == 0x3002 || v == 0xFF01 || v == 0xFF1F }

    /// Splits one block of collapsed text into sentences, in order, keeping only real sentences.
    static func split(_ text: String) -> [String] {
        var text = text
        return text.withUTF8 { split(utf8: $0) }
    }

    private static func split(utf8 bytes: UnsafeBufferPointer<UInt8>) -> [String] {
        var sentences: [String] = []
        var start = 0
        func emit(_ end: Int) {
            var a = start, b = end
            while a < b && bytes[a] == 0x20 { a += 1 }
            while b > a && bytes[b - 1] == 0x20 { b -= 1 }
            let piece = UnsafeBufferPointer(rebasing: bytes[a..<b])
            if isSentence(piece) { sentences.append(String(decoding: piece, as: UTF8.self)) }
            start = end
        }
        func scalar(at i: Int) -> UInt32 { i < bytes.count ? UTF8Walk.scalar(bytes, at: i).value : 0 }
        /// The index after the scalar at `i`, and after any closers that follow it.
        func skipClosers(from i: Int) -> Int {
            var j = i
            while j < bytes.count {
                let (v, length) = UTF8Walk.scalar(bytes, at: j)
                guard isCloser(v) else { break }
                j += length
            }
            return j
        }
        var i = 0
        while i < bytes.count {
            let (v, length) = UTF8Walk.scalar(bytes, at: i)
            if isFullWidthEnd(v) {
                let j = skipClosers(from: i + length)
                emit(j)
                i = j
                continue
            }
            if v == 0x2E || v == 0x21 || v == 0x3F || v == 0x2026 {        // . ! ? …
                var j = i + length
                while j < bytes.count && (bytes[j] == 0x2E || bytes[j] == 0x21 || bytes[j] == 0x3F) { j += 1 }
                j = skipClosers(from: j)
                if j + 1 < bytes.count && bytes[j] == 0x20 && !UTF8Walk.isLowercase(scalar(at: j + 1))
                    && !(v == 0x2E && isAbbreviation(bytes, before: i)) {
                    emit(j)
                    i = j + 1
                    continue
                }
                i = j
                continue
            }
            i += length
        }
        if start < bytes.count { emit(bytes.count) }
        return sentences
    }

    /// Whether the word that ends at the period at `period` is an abbreviation or an initial.
    private static func isAbbreviation(_ bytes: UnsafeBufferPointer<UInt8>, before period: Int) -> Bool {
        var k = period, letters = 0
        while k > 0 {
            let s = UTF8Walk.start(of: bytes, before: k)
            let v = UTF8Walk.scalar(bytes, at: s).value
            guard v == 0x2E || UTF8Walk.isLetter(v) else { break }
            if v != 0x2E { letters += 1 }
            k = s
        }
        guard k < period else { return false }
        if letters == 1 && !bytes[k..<period].contains(0x2E) { return true }   // an initial: "J. Smith"
        return abbreviations.contains(String(decoding: UnsafeBufferPointer(rebasing: bytes[k..<period]), as: UTF8.self).lowercased())
    }

    static func isSentence(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { isSentence($0) }
    }

    private static func isSentence(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var words = 0, unspaced = 0, inWord = false
        var i = 0
        while i < bytes.count {
            let (v, length) = UTF8Walk.scalar(bytes, at: i)
            i += length
            if UTF8Walk.isLetter(v) || UTF8Walk.isNumber(v) {
                if isUnspacedScript(v) { unspaced += 1; inWord = false; continue }
                if !inWord { words += 1; inWord = true }
                if words >= 3 { return true }     // most pieces are decided within their first words
            } else if v == 0x20 {
                inWord = false
            }
        }
        return unspaced >= 6 || (unspaced >= 2 && words + unspaced >= 6)
    }

    /// Scripts written without spaces between words: CJK ideographs, kana, Thai, Lao, Khmer, Myanmar.
    static func isUnspacedScript(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x3040...0x30FF).contains(v) ||
            (0x0E00...0x0EFF).contains(v) || (0x1780...0x17FF).contains(v) || (0x1000...0x109F).contains(v) ||
            (0xF900...0xFAFF).contains(v) || (0x20000...0x2FFFF).contains(v)
    }
}

/// Scalar-at-a-time reading of valid UTF-8, with ASCII answered without a table lookup.
enum UTF8Walk {
    /// The scalar that starts at `i` and its length in bytes. The bytes must be valid UTF-8.
    @inline(__always)
    static func scalar(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (value: UInt32, length: Int) {
        let b0 = UInt32(bytes[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F), 2) }
        if b0 < 0xF0 { return ((b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F), 3) }
        return ((b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12 | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F), 4)
    }

    /// The index where the scalar that ends just before `end` starts.
    static func start(of bytes: UnsafeBufferPointer<UInt8>, before end: Int) -> Int {
        var s = end - 1
        while s > 0 && bytes[s] & 0xC0 == 0x80 { s -= 1 }
        return s
    }

    /// Unicode's White_Space property, spelled out (it is a fixed list of 25 code points).
    @inline(__always)
    static func isWhiteSpace(_ v: UInt32) -> Bool {
        if v < 0x80 { return v == 0x20 || (0x09...0x0D).contains(v) }
        return v == 0x85 || v == 0xA0 || v == 0x1680 || (0x2000...0x200A).contains(v) || v == 0x2028 || v == 0x2029
            || v == 0x202F || v == 0x205F || v == 0x3000
    }

    static func isLetter(_ v: UInt32) -> Bool {
        if v < 0x80 { return (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v) }
        return Unicode.Scalar(v)?.properties.isAlphabetic ?? false
    }

    static func isNumber(_ v: UInt32) -> Bool {
        if v < 0x80 { return (0x30...0x39).contains(v) }
        return Unicode.Scalar(v)?.properties.numericType != nil
    }

    static func isLowercase(_ v: UInt32) -> Bool {
        if v < 0x80 { return (0x61...0x7A).contains(v) }
        return Unicode.Scalar(v)?.properties.isLowercase ?? false
    }
}
