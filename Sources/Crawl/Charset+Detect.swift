/// A small charset detector for pages that declare nothing: not chardet, but enough for the
/// legacy encodings real crawls hold (see `../shared/corpus/html/encodings`).
///
/// 1. ASCII or valid UTF-8: UTF-8.
/// 2. East Asian double-byte encodings, tried with iconv and kept only if (almost) every byte
///    converts: EUC-KR when the text is mostly Hangul; Shift_JIS or EUC-JP when it holds kana
///    (Japanese text always does) and few half-width katakana (what Chinese bytes turn into);
///    GB2312 when every trail byte is ≥ 0xA1 (Big5 text has trail bytes 0x40-0x7E about a
///    third of the time); then Big5; then GBK.
/// 3. Single-byte: Cyrillic (KOI8-R or windows-1251, the one that makes most letters lower
///    case) when reading the bytes as windows-1252 gives words made mostly of accented letters;
///    otherwise windows-1252, the WHATWG default.
extension Charset {
    static func detect(_ bytes: [UInt8]) -> Decoded {
        let check = UTF8Check(bytes)
        if check.invalid == 0 { return Decoded(utf8: bytes, charset: "UTF-8", source: check.multibyte == 0 ? "default" : "detected", errors: 0) }
        let high = bytes.reduce(0) { $0 + ($1 >= 0x80 ? 1 : 0) }
        func clean(_ name: String) -> (utf8: [UInt8], errors: Int, profile: ScriptProfile)? {
            guard let (out, errors) = iconvDecode(bytes, from: name), errors * 200 <= high else { return nil }
            return (out, errors, ScriptProfile(String(decoding: out, as: UTF8.self)))
        }
        func pick(_ name: String, _ r: (utf8: [UInt8], errors: Int, profile: ScriptProfile)) -> Decoded {
            Decoded(utf8: r.utf8, charset: name, source: "detected", errors: r.errors)
        }
        if let r = clean("CP949"), r.profile.ratio(r.profile.hangul) > 0.3 { return pick("CP949", r) }
        let japanese = ["CP932", "EUC-JP"].compactMap { name in clean(name).map { (name, $0) } }
            .filter { $0.1.profile.ratio($0.1.profile.kana) > 0.05 && $0.1.profile.ratio($0.1.profile.halfwidthKana) < 0.05 }
            .max { $0.1.profile.kana < $1.1.profile.kana }
        if let (name, r) = japanese { return pick(name, r) }
        if allTrailBytesHigh(bytes), let r = clean("EUC-CN"), r.profile.ratio(r.profile.han) > 0.3 {
            // GB2312 is a subset of GBK: decode as GBK so that any extension character survives.
            if let gbk = clean("GB18030") { return pick("GB18030", gbk) }
            return pick("EUC-CN", r)
        }
        if let r = clean("BIG5-HKSCS"), r.profile.ratio(r.profile.han) > 0.3 { return pick("BIG5-HKSCS", r) }
        if let r = clean("GB18030"), r.profile.ratio(r.profile.han) > 0.5 { return pick("GB18030", r) }
        if let latin = clean("CP1252"), latin.profile.ratio(latin.profile.implausibleLatinLetters) > 0.5 {
            let cyrillic = ["KOI8-R", "CP1251"].compactMap { name in clean(name).map { (name, $0) } }
                .max { $0.1.profile.lowercaseCyrillic < $1.1.profile.lowercaseCyrillic }
            if let (name, r) = cyrillic, r.profile.ratio(r.profile.cyrillic) > 0.5 { return pick(name, r) }
        }
        if let r = clean("CP1252") { return pick("CP1252", r) }
        return Decoded(utf8: Array(String(decoding: bytes, as: UTF8.self).utf8), charset: "UTF-8", source: "default", errors: check.invalid)
    }

    /// True when the text has double-byte pairs and none has a trail byte below 0xA1 (EUC-CN's
    /// shape; Big5, GBK and Shift_JIS use trail bytes from 0x40).
    static func allTrailBytesHigh(_ bytes: [UInt8]) -> Bool {
        var i = 0, pairs = 0
        while i + 1 < bytes.count {
            if bytes[i] >= 0x81 {
                if bytes[i + 1] < 0xA1 { return false }
                pairs += 1
                i += 2
            } else {
                i += 1
            }
        }
        return pairs >= 4
    }
}

/// What a decoded text is made of, counted over its non-ASCII characters.
struct ScriptProfile {
    var nonASCII = 0
    var han = 0, kana = 0, halfwidthKana = 0, hangul = 0, cyrillic = 0, lowercaseCyrillic = 0
    /// Non-ASCII letters in Latin words of three or more letters that are mostly non-ASCII:
    /// what Cyrillic or Greek bytes look like when read as windows-1252.
    var implausibleLatinLetters = 0

    init(_ text: String) {
        var word: [Unicode.Scalar] = []
        func endWord() {
            defer { word.removeAll(keepingCapacity: true) }
            guard word.count >= 3 else { return }
            let accented = word.filter { $0.value >= 0xC0 && $0.value < 0x250 }.count
            if accented * 2 > word.count { implausibleLatinLetters += accented }
        }
        for s in text.unicodeScalars {
            let v = s.value
            if s.properties.isAlphabetic && v < 0x250 { word.append(s) } else { endWord() }
            guard v >= 0x80 else { continue }
            nonASCII += 1
            switch v {
            case 0x4E00...0x9FFF, 0x3400...0x4DBF: han += 1
            case 0x3040...0x30FF: kana += 1
            case 0xFF61...0xFF9F: halfwidthKana += 1
            case 0xAC00...0xD7AF, 0x1100...0x11FF, 0x3130...0x318F: hangul += 1
            case 0x0400...0x04FF:
                cyrillic += 1
                if s.properties.isLowercase { lowercaseCyrillic += 1 }
            default: break
            }
        }
        endWord()
    }

    func ratio(_ count: Int) -> Double { nonASCII == 0 ? 0 : Double(count) / Double(nonASCII) }
}
