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
    public init(parsing raw: String) {
        var s = Substring(WebURL.cleaned(raw))
        fragment = s.firstIndex(of: "#").map { i in defer { s = s[..<i] }; return String(s[s.index(after: i)...]) }
        query = s.firstIndex(of: "?").map { i in defer { s = s[..<i] }; return String(s[s.index(after: i)...]) }
        if let colon = s.firstIndex(of: ":"), colon != s.startIndex,
           s[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }),
           s.first!.isLetter {
            scheme = s[..<colon].lowercased()
            s = s[s.index(after: colon)...]
        }
        if scheme == "http" || scheme == "https" || scheme == nil {
            s = Substring(s.replacingBackslashes)
        }
        if s.hasPrefix("//") {
            let rest = s.dropFirst(2)
            let end = rest.firstIndex(of: "/") ?? rest.endIndex
            authority = String(rest[..<end])
            s = rest[end...]
        }
        path = String(s)
    }

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
                let directory = base.path.lastIndex(of: "/").map { String(base.path[...$0]) } ?? ""
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
        var host = authority
        if let at = host.lastIndex(of: "@") { host = String(host[host.index(after: at)...]) }   // userinfo is not part of identity
        host = host.lowercased()
        if scheme == "http" && host.hasSuffix(":80") { host.removeLast(3) }
        if scheme == "https" && host.hasSuffix(":443") { host.removeLast(4) }
        if host.hasSuffix(":") { host.removeLast() }
        if host.hasSuffix(".") { host.removeLast() }
        let p = Self.normalizeEscapes(Self.removeDotSegments(path.isEmpty ? "/" : path), keep: "/")
        return WebURL(scheme: scheme, authority: host, path: p, query: query.map { Self.normalizeEscapes($0, keep: "/?") }, fragment: nil)
    }

    /// The normal form without its scheme (`//host/path?query`): what references and captures are matched by.
    public var matchKey: String? {
        guard let n = normalized else { return nil }
        return "//" + n.authority! + n.path + (n.query.map { "?" + $0 } ?? "")
    }

    /// Resolves `reference` against `base` and returns its normal form as text; nil when the
    /// result is not an http(s) URL.
    public static func resolve(_ reference: String, against base: WebURL) -> WebURL? {
        let r = WebURL(parsing: reference).resolved(against: base)
        guard r.scheme == "http" || r.scheme == "https" else { return nil }
        return r.normalized
    }

    // MARK: pieces

    /// RFC 3986 §5.2.4.
    static func removeDotSegments(_ path: String) -> String {
        guard path.contains(".") else { return path }
        var input = Substring(path)
        var output: [Substring] = []
        var result = ""
        while !input.isEmpty {
            if input.hasPrefix("../") { input = input.dropFirst(3) }
            else if input.hasPrefix("./") { input = input.dropFirst(2) }
            else if input.hasPrefix("/./") { input = input.dropFirst(2) }
            else if input == "/." { input = "/" }
            else if input.hasPrefix("/../") { input = input.dropFirst(3); if !output.isEmpty { output.removeLast() } }
            else if input == "/.." { input = "/"; if !output.isEmpty { output.removeLast() } }
            else if input == "." || input == ".." { input = "" }
            else {
                let searchFrom = input.hasPrefix("/") ? input.index(after: input.startIndex) : input.startIndex
                let end = input[searchFrom...].firstIndex(of: "/") ?? input.endIndex
                output.append(input[..<end])
                input = input[end...]
            }
        }
        for segment in output { result += segment }
        return result
    }

    private static let unreserved: Set<UInt8> = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8))
    private static let allowed: Set<UInt8> = unreserved.union(Array("!$&'()*+,;=:@".utf8))

    /// Upper-cases escapes, decodes escaped unreserved characters, escapes bytes RFC 3986 does not allow.
    static func normalizeEscapes(_ s: String, keep: String) -> String {
        let keepBytes = Set(keep.utf8)
        let bytes = Array(s.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        let hex = Array("0123456789ABCDEF".utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "%"), i + 2 < bytes.count, let h = hexDigit(bytes[i + 1]), let l = hexDigit(bytes[i + 2]) {
                let value = UInt8(h << 4 | l)
                if unreserved.contains(value) { out.append(value) } else { out += [b, hex[Int(h)], hex[Int(l)]] }
                i += 3
                continue
            }
            if allowed.contains(b) || keepBytes.contains(b) { out.append(b) } else { out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]] }
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
        var scalars = Substring(raw).unicodeScalars
        while let f = scalars.first, f.value <= 0x20 { scalars.removeFirst() }
        while let l = scalars.last, l.value <= 0x20 { scalars.removeLast() }
        var s = String(String.UnicodeScalarView(scalars))
        if s.contains(where: { $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            s.removeAll { $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        }
        return s
    }
}

extension StringProtocol {
    var replacingBackslashes: String {
        contains("\\") ? String(map { $0 == "\\" ? "/" : $0 }) : String(self)
    }
}
