/// curate's word splitter for the text rules: lower-cased words, their count, and 64-bit hashes
/// of every unigram and bigram (the vocabulary is counted over hashes, never over held texts).
///
/// - Lower-casing is Unicode's (`Character.lowercased()`, so `É` → `é`, `ΣΑ` → `σα`), with an
///   ASCII fast path.
/// - A word is a maximal run of letters, digits and combining marks; an apostrophe (' or ’)
///   between two letters stays inside the word (`don't`). Everything else separates words:
///   spaces, punctuation, symbols, `-`, `_`, `.` (so `IMG_2031.JPG` is `img`, `2031`, `jpg`).
/// - Scripts written without spaces are not one word per run: every Han ideograph, Hiragana,
///   Katakana, Thai, Lao, Khmer and Myanmar character (with its combining marks) is a word of its
///   own, as BERT's tokenizer treats CJK. A 10-character Japanese caption counts 10 words.
public struct Tokenizer: Sendable {
    public init() {}

    /// The words of `text`, lower-cased.
    public func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var pendingApostrophe = false  // an apostrophe after a letter: kept if a letter follows
        var afterUnspaced = false      // the last word was one unspaced-script character
        func flush() {
            if !current.isEmpty { words.append(current); current = "" }
            pendingApostrophe = false
            afterUnspaced = false
        }
        func appendLetter(_ scalar: Unicode.Scalar) {
            if pendingApostrophe { current.append("'"); pendingApostrophe = false }
            current.unicodeScalars.append(scalar)
            afterUnspaced = false
        }
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x80 {  // ASCII fast path
                if (0x61...0x7A).contains(v) || (0x30...0x39).contains(v) {
                    appendLetter(scalar)
                } else if (0x41...0x5A).contains(v) {
                    appendLetter(Unicode.Scalar(v + 0x20)!)
                } else if v == 0x27 && !current.isEmpty && !pendingApostrophe {
                    pendingApostrophe = true
                } else {
                    flush()
                }
                continue
            }
            if v == 0x2019 && !current.isEmpty && !pendingApostrophe { pendingApostrophe = true; continue }
            let properties = scalar.properties
            if Self.isUnspacedScript(v) && !properties.generalCategory.isMark {
                flush()
                words.append(String(scalar))
                afterUnspaced = true
            } else if properties.generalCategory.isMark {
                // A combining mark belongs to the word before it; a lone one is dropped.
                if !current.isEmpty { current.unicodeScalars.append(scalar) }
                else if afterUnspaced { words[words.count - 1].unicodeScalars.append(scalar) }
            } else if properties.isAlphabetic || properties.numericType != nil {
                if properties.changesWhenLowercased {
                    if pendingApostrophe { current.append("'"); pendingApostrophe = false }
                    current += String(scalar).lowercased()
                    afterUnspaced = false
                } else {
                    appendLetter(scalar)
                }
            } else {
                flush()
            }
        }
        flush()
        return words
    }

    /// The hashes of `text`'s words (as `hash(word)` of `words(text)`), into `hashes`, and the
    /// text's key (`textKey(words(text))`), without building the words for ASCII text.
    public func hashes(_ text: String, into hashes: inout [UInt64]) -> UInt64 {
        hashes.removeAll(keepingCapacity: true)
        var text = text
        let ascii: UInt64? = text.withUTF8 { bytes -> UInt64? in
            let offset: UInt64 = 0xcbf2_9ce4_8422_2325, prime: UInt64 = 0x0000_0100_0000_01B3
            var key = offset, word = offset, inWord = false, pending = false
            for byte in bytes {
                if byte >= 0x80 { return nil }
                var b = byte
                if b >= 0x41 && b <= 0x5A { b |= 0x20 }
                if (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) {
                    if !inWord {
                        if !hashes.isEmpty { key = (key ^ 0x20) &* prime }
                        inWord = true
                    }
                    if pending {
                        word = (word ^ 0x27) &* prime; key = (key ^ 0x27) &* prime
                        pending = false
                    }
                    word = (word ^ UInt64(b)) &* prime
                    key = (key ^ UInt64(b)) &* prime
                } else if b == 0x27 && inWord && !pending {
                    pending = true
                } else if inWord {
                    hashes.append(word)
                    word = offset; inWord = false; pending = false
                }
            }
            if inWord { hashes.append(word) }
            return key
        }
        if let ascii { return ascii }
        let words = self.words(text)
        hashes.append(contentsOf: words.map(Self.hash))
        return Self.textKey(words)
    }

    /// Han (CJK ideographs and their extensions, compatibility ideographs), Hiragana, Katakana,
    /// Thai, Lao, Khmer, Myanmar: scripts that do not separate words with spaces.
    static func isUnspacedScript(_ v: UInt32) -> Bool {
        switch v {
        case 0x0E00...0x0E7F,  // Thai
             0x0E80...0x0EFF,  // Lao
             0x1000...0x109F,  // Myanmar
             0x1780...0x17FF,  // Khmer
             0x3040...0x309F,  // Hiragana
             0x30A0...0x30FF,  // Katakana
             0x31F0...0x31FF,  // Katakana phonetic extensions
             0x3400...0x4DBF,  // CJK extension A
             0x4E00...0x9FFF,  // CJK unified ideographs
             0xF900...0xFAFF,  // CJK compatibility ideographs
             0xFF66...0xFF9F,  // half-width Katakana
             0x20000...0x3FFFF: // CJK extensions B and later
            return true
        default:
            return false
        }
    }

    /// FNV-1a over the UTF-8 bytes of `word`.
    @inline(__always) public static func hash(_ word: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in word.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// The hash of the bigram (a, b), from the hashes of its words (order matters).
    @inline(__always) public static func bigram(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var h = a ^ 0x9E37_79B9_7F4A_7C15
        h = (h ^ (b &+ 0x632B_E59B_D9B4_E019 &+ (h << 6) &+ (h >> 2))) &* 0xFF51_AFD7_ED55_8CCD
        return h ^ (h >> 33)
    }

    /// A text's identity for "shared by N images": the hash of its words joined by single spaces
    /// (so case, punctuation and spacing differences do not make two texts different).
    public static func textKey(_ words: [String]) -> UInt64 { hash(words.joined(separator: " ")) }
}

extension Unicode.GeneralCategory {
    var isMark: Bool { self == .nonspacingMark || self == .spacingMark || self == .enclosingMark }
}
