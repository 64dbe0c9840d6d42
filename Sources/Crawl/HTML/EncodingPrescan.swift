/// The HTML standard's "prescan a byte stream to determine its encoding": what a `<meta charset>`
/// or `<meta http-equiv="Content-Type" content="…; charset=…">` near the start of a page says,
/// found the way a browser finds it (comments skipped, other tags' attributes stepped over, a
/// `content` charset counted only with its `http-equiv`).
///
/// The standard looks at the first 1,024 bytes; curate looks at 16 KB, as html5lib's encoding
/// tests expect (they place the declaration after comments of up to 8 KB) and real pages need
/// (inline scripts and styles before the `<meta>`).
enum EncodingPrescan {
    static let window = 16 << 10

    /// The label the page declares and the encoding it names, if any (UTF-16 is read as UTF-8 and
    /// x-user-defined as windows-1252, as the standard says for a declaration found this way).
    static func declaredEncoding(_ bytes: UnsafeBufferPointer<UInt8>) -> (label: String, encoding: String)? {
        var scan = Scanner(bytes: UnsafeBufferPointer(rebasing: bytes[0..<min(bytes.count, window)]))
        return scan.run()
    }

    static func declaredEncoding(_ bytes: [UInt8]) -> (label: String, encoding: String)? {
        bytes.withUnsafeBufferPointer { declaredEncoding($0) }
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        func at(_ i: Int) -> Int { i < bytes.count ? Int(bytes[i]) : -1 }
        static func isSpace(_ c: Int) -> Bool { c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D || c == 0x20 }
        static func lower(_ c: Int) -> UInt8 { UInt8(c >= 0x41 && c <= 0x5A ? c | 0x20 : c) }

        func startsWith(_ literal: StaticString, at i: Int) -> Bool {
            let n = literal.utf8CodeUnitCount
            guard i + n <= bytes.count else { return false }
            for k in 0..<n where Self.lower(Int(bytes[i + k])) != literal.utf8Start[k] { return false }
            return true
        }

        mutating func run() -> (label: String, encoding: String)? {
            while position < bytes.count {
                if startsWith("<!--", at: position) {
                    // To the first `>` preceded by `--` (those may overlap the opening `<!--`).
                    var i = position + 2
                    while i < bytes.count && !(bytes[i] == 0x3E && bytes[i - 1] == 0x2D && bytes[i - 2] == 0x2D && i - 2 >= position + 2) { i += 1 }
                    position = i
                } else if startsWith("<meta", at: position) && (Self.isSpace(at(position + 5)) || at(position + 5) == 0x2F) {
                    position += 5
                    if let found = meta() { return found }
                } else if at(position) == 0x3C && (isLetter(at(position + 1)) || (at(position + 1) == 0x2F && isLetter(at(position + 2)))) {
                    while position < bytes.count && !Self.isSpace(Int(bytes[position])) && bytes[position] != 0x3E { position += 1 }
                    while attribute() != nil {}
                } else if at(position) == 0x3C && (at(position + 1) == 0x21 || at(position + 1) == 0x2F || at(position + 1) == 0x3F) {
                    while position < bytes.count && bytes[position] != 0x3E { position += 1 }
                }
                position += 1
            }
            return nil
        }

        func isLetter(_ c: Int) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }

        /// The attributes of one `<meta>`: a charset only when the standard's rules say it counts.
        mutating func meta() -> (label: String, encoding: String)? {
            var seen: Set<[UInt8]> = []
            var gotPragma = false
            var needPragma: Bool?
            var charset: (label: String, encoding: String?)?
            while let (name, value) = attribute() {
                guard seen.insert(name).inserted else { continue }
                if name.elementsEqual("http-equiv".utf8) {
                    if value.elementsEqual("content-type".utf8) { gotPragma = true }
                } else if name.elementsEqual("content".utf8) {
                    if charset == nil, let label = Self.charsetInContent(value), let encoding = WHATWGEncoding.name(forLabel: label) {
                        charset = (label, encoding)
                        needPragma = true
                    }
                } else if name.elementsEqual("charset".utf8) {
                    let label = String(decoding: value, as: UTF8.self)
                    charset = (label, WHATWGEncoding.name(forLabel: label))
                    needPragma = false
                }
            }
            guard let needPragma, !(needPragma && !gotPragma), let charset, var encoding = charset.encoding else { return nil }
            if encoding == "UTF-16BE" || encoding == "UTF-16LE" { encoding = "UTF-8" }
            if encoding == "x-user-defined" { encoding = "windows-1252" }
            return (charset.label, encoding)
        }

        /// The standard's "get an attribute": name and value lower-cased; nil at `>` or the end.
        mutating func attribute() -> (name: [UInt8], value: [UInt8])? {
            while position < bytes.count && (Self.isSpace(Int(bytes[position])) || bytes[position] == 0x2F) { position += 1 }
            guard position < bytes.count, bytes[position] != 0x3E else { return nil }
            var name: [UInt8] = [], value: [UInt8] = []
            while true {
                let c = at(position)
                if c < 0 { return nil }
                if c == 0x3D && !name.isEmpty { position += 1; break }
                if Self.isSpace(c) {
                    while Self.isSpace(at(position)) { position += 1 }
                    if at(position) != 0x3D { return (name, []) }
                    position += 1
                    break
                }
                if c == 0x2F || c == 0x3E { return (name, []) }
                name.append(Self.lower(c))
                position += 1
            }
            while Self.isSpace(at(position)) { position += 1 }
            let c = at(position)
            if c < 0 { return nil }
            if c == 0x22 || c == 0x27 {
                position += 1
                while true {
                    let d = at(position)
                    if d < 0 { return nil }
                    position += 1
                    if d == c { return (name, value) }
                    value.append(Self.lower(d))
                }
            }
            if c == 0x3E { return (name, []) }
            while true {
                let d = at(position)
                if d < 0 { return nil }
                if Self.isSpace(d) || d == 0x3E { return (name, value) }
                value.append(Self.lower(d))
                position += 1
            }
        }

        /// The standard's "extracting a character encoding from a meta element" (`content` is lower-cased).
        static func charsetInContent(_ content: [UInt8]) -> String? {
            var i = 0
            let key = Array("charset".utf8)
            while true {
                guard let found = indexOf(key, in: content, from: i) else { return nil }
                var j = found + key.count
                while j < content.count && isSpace(Int(content[j])) { j += 1 }
                guard j < content.count, content[j] == 0x3D else { i = found + key.count; continue }
                j += 1
                while j < content.count && isSpace(Int(content[j])) { j += 1 }
                guard j < content.count else { return nil }
                if content[j] == 0x22 || content[j] == 0x27 {
                    guard let close = content[(j + 1)...].firstIndex(of: content[j]) else { return nil }
                    return String(decoding: content[(j + 1)..<close], as: UTF8.self)
                }
                var k = j
                while k < content.count && !isSpace(Int(content[k])) && content[k] != 0x3B { k += 1 }
                return k > j ? String(decoding: content[j..<k], as: UTF8.self) : nil
            }
        }

        static func indexOf(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
            guard needle.count <= haystack.count else { return nil }
            var i = from
            while i + needle.count <= haystack.count {
                if haystack[i..<i + needle.count].elementsEqual(needle) { return i }
                i += 1
            }
            return nil
        }
    }
}

/// The WHATWG Encoding Standard's labels: what each label means, by the encoding's name.
enum WHATWGEncoding {
    /// The encoding a label names (after trimming white space, case-insensitively), or nil.
    static func name(forLabel label: String) -> String? {
        var bytes = Array(label.utf8)[...]
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D }
        while let first = bytes.first, isSpace(first) { bytes.removeFirst() }
        while let last = bytes.last, isSpace(last) { bytes.removeLast() }
        return byLabel[String(decoding: bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)]
    }

    static let byLabel: [String: String] = {
        var table: [String: String] = [:]
        for (name, labels) in encodings { for label in labels.split(separator: " ") { table[String(label)] = name } }
        return table
    }()

    /// (name, labels) from the Encoding Standard's encodings.json.
    static let encodings: [(String, String)] = [
        ("UTF-8", "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8"),
        ("IBM866", "866 cp866 csibm866 ibm866"),
        ("ISO-8859-2", "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2"),
        ("ISO-8859-3", "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3"),
        ("ISO-8859-4", "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4"),
        ("ISO-8859-5", "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 iso_8859-5 iso_8859-5:1988"),
        ("ISO-8859-6", "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6 iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987"),
        ("ISO-8859-7", "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 iso8859-7 iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek"),
        ("ISO-8859-8", "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8 iso88598 iso_8859-8 iso_8859-8:1988 visual"),
        ("ISO-8859-8-I", "csiso88598i iso-8859-8-i logical"),
        ("ISO-8859-10", "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6"),
        ("ISO-8859-13", "iso-8859-13 iso8859-13 iso885913"),
        ("ISO-8859-14", "iso-8859-14 iso8859-14 iso885914"),
        ("ISO-8859-15", "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9"),
        ("ISO-8859-16", "iso-8859-16"),
        ("KOI8-R", "cskoi8r koi koi8 koi8-r koi8_r"),
        ("KOI8-U", "koi8-ru koi8-u"),
        ("macintosh", "csmacintosh mac macintosh x-mac-roman"),
        ("windows-874", "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874"),
        ("windows-1250", "cp1250 windows-1250 x-cp1250"),
        ("windows-1251", "cp1251 windows-1251 x-cp1251"),
        ("windows-1252", "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252"),
        ("windows-1253", "cp1253 windows-1253 x-cp1253"),
        ("windows-1254", "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254"),
        ("windows-1255", "cp1255 windows-1255 x-cp1255"),
        ("windows-1256", "cp1256 windows-1256 x-cp1256"),
        ("windows-1257", "cp1257 windows-1257 x-cp1257"),
        ("windows-1258", "cp1258 windows-1258 x-cp1258"),
        ("x-mac-cyrillic", "x-mac-cyrillic x-mac-ukrainian"),
        ("GBK", "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk"),
        ("gb18030", "gb18030"),
        ("Big5", "big5 big5-hkscs cn-big5 csbig5 x-x-big5"),
        ("EUC-JP", "cseucpkdfmtjapanese euc-jp x-euc-jp"),
        ("ISO-2022-JP", "csiso2022jp iso-2022-jp"),
        ("Shift_JIS", "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis"),
        ("EUC-KR", "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 windows-949"),
        ("replacement", "csiso2022kr hz-gb-2312 iso-2022-cn iso-2022-cn-ext iso-2022-kr replacement"),
        ("UTF-16BE", "unicodefffe utf-16be"),
        ("UTF-16LE", "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le"),
        ("x-user-defined", "x-user-defined"),
    ]
}
