import CurateCore

/// URLs as crawl-dump needs them: resolving a reference against a base (RFC 3986 §5.2), and
/// one normal form so that a page's reference and a record's WARC-Target-URI compare equal.
///
/// Normal form (RFC 3986 §6.2.2 plus what browsers do to what authors write): surrounding
/// spaces and control characters dropped, tabs and newlines removed, `\` read as `/` in http(s)
/// URLs; scheme and host lower-cased; the default port dropped; dot segments removed; an empty
/// path becomes `/`; percent-escapes upper-cased and those of unreserved characters decoded;
/// every other byte outside RFC 3986's character set (spaces, non-ASCII as UTF-8) escaped; the
/// fragment dropped. The *match key* also drops the scheme, so that an `https` reference finds
/// an `http` capture of the same resource.
public struct WebURL: Sendable, Equatable {
    public var scheme: String?
    public var authority: String?
    public var path: String
    public var query: String?
    public var fragment: String?

    /// Splits a URL reference into its five parts (RFC 3986 Appendix B), after browser clean-up.
    /// Every delimiter is ASCII, so the split works on UTF-8 bytes.
    public init(parsing raw: String) {
        var s = WebURL.cleanedBytes(raw)[...]
        func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }
        fragment = s.firstIndex(of: UInt8(ascii: "#")).map { i in defer { s = s[..<i] }; return text(s[(i + 1)...]) }
        query = s.firstIndex(of: UInt8(ascii: "?")).map { i in defer { s = s[..<i] }; return text(s[(i + 1)...]) }
        if let colon = s.firstIndex(of: UInt8(ascii: ":")), colon != s.startIndex, Self.isLetter(s[s.startIndex]),
           s[..<colon].allSatisfy({ Self.isLetter($0) || (0x30...0x39).contains($0) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E }) {
            scheme = text(s[..<colon]).lowercased()
            s = s[(colon + 1)...]
        }
        if scheme == "http" || scheme == "https" || scheme == nil {
            for i in s.indices where s[i] == UInt8(ascii: "\\") { s[i] = UInt8(ascii: "/") }
        }
        if s.count >= 2 && s[s.startIndex] == UInt8(ascii: "/") && s[s.startIndex + 1] == UInt8(ascii: "/") {
            let rest = s.dropFirst(2)
            let end = rest.firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
            authority = text(rest[..<end])
            s = rest[end...]
        }
        path = text(s)
    }

    private static func isLetter(_ b: UInt8) -> Bool { (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) }

    init(scheme: String?, authority: String?, path: String, query: String?, fragment: String?) {
        self.scheme = scheme; self.authority = authority; self.path = path; self.query = query; self.fragment = fragment
    }

    /// The reference resolved against `base` (RFC 3986 §5.2.2, strict: a reference with a
    /// scheme is not relative).
    public func resolved(against base: WebURL) -> WebURL {
        if scheme != nil {
            return WebURL(scheme: scheme, authority: authority, path: Self.removeDotSegments(path), query: query, fragment: fragment)
        }
        if authority != nil {
            return WebURL(scheme: base.scheme, authority: authority, path: Self.removeDotSegments(path), query: query, fragment: fragment)
        }
        var target = WebURL(scheme: base.scheme, authority: base.authority, path: base.path, query: base.query, fragment: fragment)
        if path.isEmpty {
            if query != nil { target.query = query }
        } else {
            target.query = query
            if path.hasPrefix("/") {
                target.path = Self.removeDotSegments(path)
            } else if base.authority != nil && base.path.isEmpty {
                target.path = Self.removeDotSegments("/" + path)
            } else {
                let directory = base.path.utf8.lastIndex(of: UInt8(ascii: "/")).map { String(decoding: base.path.utf8[...$0], as: UTF8.self) } ?? ""
                target.path = Self.removeDotSegments(directory + path)
            }
        }
        return target
    }

    /// The URL as text (RFC 3986 §5.3).
    public var text: String {
        var s = ""
        if let scheme { s += scheme + ":" }
        if let authority { s += "//" + authority }
        s += path
        if let query { s += "?" + query }
        if let fragment { s += "#" + fragment }
        return s
    }

    /// The normal form described above; nil for a reference with no scheme or host (not absolute).
    public var normalized: WebURL? {
        guard let scheme, let authority, !authority.isEmpty else { return nil }
        let host = Self.normalizedHost(authority, scheme: scheme)
        let p = Self.normalizeEscapes(Self.removeDotSegments(path.isEmpty ? "/" : path), keep: "/")
        return WebURL(scheme: scheme, authority: host, path: p, query: query.map { Self.normalizeEscapes($0, keep: "/?") }, fragment: nil)
    }

    /// The authority without userinfo (not part of identity), lower-cased, without the scheme's
    /// default port or a trailing `:` or `.`. Over bytes when it is ASCII (nearly always).
    private static func normalizedHost(_ authority: String, scheme: String) -> String {
        var host: [UInt8] = []
        var ascii = true
        for b in authority.utf8 {
            if b == UInt8(ascii: "@") { host.removeAll(keepingCapacity: true); ascii = true; continue }
            if b >= 0x80 { ascii = false }
            host.append(b >= 0x41 && b <= 0x5A ? b | 0x20 : b)
        }
        if !ascii {
            // Non-ASCII hosts (IDNs written as Unicode) are lower-cased by Unicode's rules.
            var text = authority
            if let at = text.lastIndex(of: "@") { text = String(text[text.index(after: at)...]) }
            host = Array(text.lowercased().utf8)
        }
        func drop(_ suffix: String) -> Bool {
            let s = Array(suffix.utf8)
            guard host.count >= s.count, host.suffix(s.count).elementsEqual(s) else { return false }
            host.removeLast(s.count)
            return true
        }
        if scheme == "http" { _ = drop(":80") }
        if scheme == "https" { _ = drop(":443") }
        _ = drop(":")
        _ = drop(".")
        return String(decoding: host, as: UTF8.self)
    }

    /// The normal form without its scheme (`//host/path?query`): what references and captures are matched by.
    public var matchKey: String? { normalized?.schemelessText }

    /// `//authority/path?query`: the match key of a URL already in normal form.
    var schemelessText: String { "//" + (authority ?? "") + path + (query.map { "?" + $0 } ?? "") }

    /// Resolves `reference` against `base` and returns its normal form as text; nil when the
    /// result is not an http(s) URL.
    public static func resolve(_ reference: String, against base: WebURL) -> WebURL? {
        let r = WebURL(parsing: reference).resolved(against: base)
        guard r.scheme == "http" || r.scheme == "https" else { return nil }
        return r.normalized
    }

    // MARK: pieces

    /// RFC 3986 §5.2.4, over bytes: each step moves the input's first segment to the output or
    /// drops it, and `..` removes the output's last segment (everything after its last `/`).
    static func removeDotSegments(_ path: String) -> String {
        // A dot segment is "." or ".." as a whole segment: it starts the path or follows a "/".
        guard path.utf8.first == UInt8(ascii: ".") || ByteSearch.contains(path, "/.") else { return path }
        let slash = UInt8(ascii: "/")
        var input = Array(path.utf8)[...]
        var output: [UInt8] = []
        func starts(_ p: String) -> Bool { input.starts(with: p.utf8) }
        func equals(_ p: String) -> Bool { input.elementsEqual(p.utf8) }
        func dropLastSegment() { output.removeSubrange((output.lastIndex(of: slash) ?? 0)...) }
        while !input.isEmpty {
            if starts("../") { input = input.dropFirst(3) }
            else if starts("./") { input = input.dropFirst(2) }
            else if starts("/./") { input = input.dropFirst(2) }
            else if equals("/.") { input = [slash][...] }
            else if starts("/../") { input = input.dropFirst(3); dropLastSegment() }
            else if equals("/..") { input = [slash][...]; dropLastSegment() }
            else if equals(".") || equals("..") { input = [] }
            else {
                let from = input.first == slash ? input.startIndex + 1 : input.startIndex
                let end = input[from...].firstIndex(of: slash) ?? input.endIndex
                output += input[..<end]
                input = input[end...]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Byte classes as 256-entry tables: unreserved characters, and everything RFC 3986 allows
    /// unescaped in a path segment or query besides `/` and `?`.
    private static let unreserved = table("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    private static let allowed = table("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@")
    private static func table(_ members: String) -> [Bool] {
        var t = [Bool](repeating: false, count: 256)
        for b in members.utf8 { t[Int(b)] = true }
        return t
    }

    /// Upper-cases escapes, decodes escaped unreserved characters, escapes bytes RFC 3986 does not allow.
    static func normalizeEscapes(_ s: String, keep: String) -> String {
        let keepBytes = Array(keep.utf8)
        let bytes = Array(s.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        let hex = Array("0123456789ABCDEF".utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "%"), i + 2 < bytes.count, let h = hexDigit(bytes[i + 1]), let l = hexDigit(bytes[i + 2]) {
                let value = UInt8(h << 4 | l)
                if unreserved[Int(value)] { out.append(value) } else { out += [b, hex[Int(h)], hex[Int(l)]] }
                i += 3
                continue
            }
            if allowed[Int(b)] || keepBytes.contains(b) { out.append(b) } else { out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]] }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexDigit(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }

    /// What browsers do to a URL attribute before parsing: trim C0 controls and spaces, drop tabs and newlines.
    static func cleaned(_ raw: String) -> String {
        String(decoding: cleanedBytes(raw), as: UTF8.self)
    }

    private static func cleanedBytes(_ raw: String) -> [UInt8] {
        var bytes = Array(raw.utf8)
        // A byte <= 0x20 is always a whole ASCII scalar in UTF-8, so trimming bytes trims scalars.
        while let l = bytes.last, l <= 0x20 { bytes.removeLast() }
        let first = bytes.firstIndex { $0 > 0x20 } ?? bytes.endIndex
        if first > 0 { bytes.removeFirst(first) }
        bytes.removeAll { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        return bytes
    }
}
