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

    /// The same over bytes that may not be valid UTF-8 (invalid bytes become U+FFFD).
    static func collapse(bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { collapse(utf8: $0) }
    }

    /// Collapses one text block's bytes, splits it into sentences, and appends each sentence's
    /// bytes to `text` and its place to `spans`, with no `String` made (the hot path of every
    /// page). Bytes that are not valid UTF-8 become U+FFFD. Returns false when the block held
    /// nothing but white space.
    static func appendSentences(of raw: UnsafeBufferPointer<UInt8>, block: Int, text: inout [UInt8], spans: inout [SentenceSpan],
                                scratch: ByteScratch) -> Bool {
        // The block is collapsed into the scratch buffer, split there, and only its sentences are
        // copied to the page's text.
        let collapsed = scratch.room(raw.count * 3)   // an invalid byte becomes a three-byte U+FFFD
        let length = collapse(raw, into: collapsed)
        guard length > 0 else { return false }
        let block32 = Int32(block)
        forEachSentence(UnsafeBufferPointer(rebasing: collapsed[0..<length])) { range in
            let start = text.count
            text.append(contentsOf: UnsafeBufferPointer(rebasing: collapsed[range]))
            spans.append(SentenceSpan(block: block32, start: Int32(start), end: Int32(text.count)))
        }
        return true
    }

    /// The byte path's collapsed form of `raw` (for the test that holds it to `collapse(_:)`).
    static func collapsedBytes(_ raw: [UInt8]) -> [UInt8] {
        let scratch = ByteScratch()
        return raw.withUnsafeBufferPointer { input in
            let out = scratch.room(input.count * 3)
            return Array(out[0..<collapse(input, into: out)])
        }
    }

    /// `collapse` into `out` (room for three times the input), reading invalid UTF-8 as U+FFFD;
    /// returns the length written.
    private static func collapse(_ bytes: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var i = 0, n = 0
        var pendingSpace = false
        guard let source = bytes.baseAddress, let target = out.baseAddress else { return 0 }
        let count = bytes.count
        let space = SIMD16<UInt8>(repeating: 0x20), control = SIMD16<UInt8>(repeating: 0x20), delete = SIMD16<UInt8>(repeating: 0x7F)
        while i < count {
            // Sixteen bytes of printable ASCII with no two spaces in a row are their own collapsed
            // form: stored as they are (most page text is such runs).
            if i + 17 <= count {
                let v = UnsafeRawPointer(source + i).loadUnaligned(as: SIMD16<UInt8>.self)
                let next = UnsafeRawPointer(source + i + 1).loadUnaligned(as: SIMD16<UInt8>.self)
                let bad = (v .< control) .| (v .>= delete) .| ((v .== space) .& (next .== space))
                let words = unsafeBitCast(bad, to: (UInt64, UInt64).self)
                if words.0 | words.1 == 0 && !(v[0] == 0x20 && (pendingSpace || n == 0)) {
                    if pendingSpace { target[n] = 0x20; n += 1; pendingSpace = false }
                    UnsafeMutableRawPointer(target + n).storeBytes(of: v, as: SIMD16<UInt8>.self)
                    if v[15] == 0x20 { n += 15; pendingSpace = true } else { n += 16 }
                    i += 16
                    continue
                }
            }
            let b = source[i]
            if b < 0x80 {
                if b > 0x20 {
                    // A word: copied to its end at once.
                    if pendingSpace { target[n] = 0x20; n += 1; pendingSpace = false }
                    var j = i
                    while j < count && source[j] > 0x20 && source[j] < 0x80 { target[n] = source[j]; n += 1; j += 1 }
                    i = j
                    continue
                }
                if b == 0x20 || (b >= 0x09 && b <= 0x0D) { pendingSpace = n > 0 } else {
                    if pendingSpace { target[n] = 0x20; n += 1; pendingSpace = false }
                    target[n] = b
                    n += 1
                }
                i += 1
                continue
            }
            var (scalar, length) = UTF8Walk.checkedScalar(bytes, at: i)
            if (0x80...0x9F).contains(scalar) { scalar = windows1252[Int(scalar - 0x80)] }
            if UTF8Walk.isWhiteSpace(scalar) {
                pendingSpace = n > 0
            } else {
                if pendingSpace { out[n] = 0x20; n += 1; pendingSpace = false }
                if scalar == 0xFFFD || (length == 2 && b == 0xC2 && bytes[i + 1] <= 0x9F) {
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

    private static func collapse(utf8 bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 3) { out in collapse(bytes, into: out) }
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
        forEachSentence(bytes) { sentences.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self)) }
        return sentences
    }

    /// Where each sentence of one block of collapsed text (valid UTF-8) is, in order: the real sentences only.
    private static func forEachSentence(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        var start = 0
        func emit(_ end: Int) {
            var a = start, b = end
            while a < b && bytes[a] == 0x20 { a += 1 }
            while b > a && bytes[b - 1] == 0x20 { b -= 1 }
            if isSentence(UnsafeBufferPointer(rebasing: bytes[a..<b])) { body(a..<b) }
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
            // Only `.`, `!`, `?` and non-ASCII characters (…, 。！？) can end a sentence.
            i = nextCandidate(bytes, from: i)
            guard i < bytes.count else { break }
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
    }

    /// The first index at or after `from` holding `.`, `!`, `?` or a non-ASCII byte, sixteen bytes at a time.
    @inline(__always)
    private static func nextCandidate(_ bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        guard let base = bytes.baseAddress else { return bytes.count }
        var i = from
        let period = SIMD16<UInt8>(repeating: 0x2E), bang = SIMD16<UInt8>(repeating: 0x21), question = SIMD16<UInt8>(repeating: 0x3F)
        let high = SIMD16<UInt8>(repeating: 0x80)
        while i + 16 <= bytes.count {
            let v = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<UInt8>.self)
            let hit = (v .== period) .| (v .== bang) .| (v .== question) .| (v .>= high)
            let words = unsafeBitCast(hit, to: (UInt64, UInt64).self)
            if words.0 | words.1 != 0 { break }
            i += 16
        }
        while i < bytes.count {
            let b = base[i]
            if b == 0x2E || b == 0x21 || b == 0x3F || b >= 0x80 { return i }
            i += 1
        }
        return bytes.count
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

/// A reusable byte area (one per page's extraction), freed with its owner.
final class ByteScratch {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// At least `count` bytes to write into (their contents are undefined).
    func room(_ count: Int) -> UnsafeMutableBufferPointer<UInt8> {
        if count > capacity {
            base.deallocate()
            capacity = max(count, capacity * 2)
            base = .allocate(capacity: capacity)
        }
        return UnsafeMutableBufferPointer(start: base, count: count)
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

    /// The scalar that starts at `i` and its length, for bytes that may not be valid UTF-8: a
    /// byte that does not start a complete, well-formed sequence is U+FFFD of length 1.
    @inline(__always)
    static func checkedScalar(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (value: UInt32, length: Int) {
        let b0 = UInt32(bytes[i])
        if b0 < 0x80 { return (b0, 1) }
        func continuation(_ k: Int) -> UInt32? {
            guard i + k < bytes.count, bytes[i + k] & 0xC0 == 0x80 else { return nil }
            return UInt32(bytes[i + k] & 0x3F)
        }
        if b0 >= 0xC2 && b0 < 0xE0, let c1 = continuation(1) { return ((b0 & 0x1F) << 6 | c1, 2) }
        if b0 >= 0xE0 && b0 < 0xF0, let c1 = continuation(1), let c2 = continuation(2) {
            let v = (b0 & 0x0F) << 12 | c1 << 6 | c2
            if v >= 0x800 && !(0xD800...0xDFFF).contains(v) { return (v, 3) }
        }
        if b0 >= 0xF0 && b0 < 0xF5, let c1 = continuation(1), let c2 = continuation(2), let c3 = continuation(3) {
            let v = (b0 & 0x07) << 18 | c1 << 12 | c2 << 6 | c3
            if v >= 0x10000 && v <= 0x10FFFF { return (v, 4) }
        }
        return (0xFFFD, 1)
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
