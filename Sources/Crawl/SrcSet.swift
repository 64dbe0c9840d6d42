import CurateCore

/// One candidate of a `srcset` attribute: a URL and its width (`w`) or density (`x`) descriptor.
struct SrcSetCandidate: Equatable {
    var url: String
    var width: Double?
    var density: Double?
}

/// Parses `srcset` as the HTML standard's algorithm does ("parse a srcset attribute"), keeping
/// the `w` and `x` descriptors; candidates with invalid descriptors are dropped.
enum SrcSet {
    static func parse(_ value: String) -> [SrcSetCandidate] {
        var value = value
        return value.withUTF8 { parse(utf8: $0) }
    }

    /// The same over UTF-8 bytes: every delimiter (space, comma, parentheses) is ASCII.
    private static func parse(utf8 b: UnsafeBufferPointer<UInt8>) -> [SrcSetCandidate] {
        var result: [SrcSetCandidate] = []
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0C }
        let comma = UInt8(ascii: ",")
        var i = 0
        while i < b.count {
            while i < b.count && (isSpace(b[i]) || b[i] == comma) { i += 1 }
            guard i < b.count else { break }
            let urlStart = i
            while i < b.count && !isSpace(b[i]) { i += 1 }
            var urlEnd = i
            var descriptors: [Substring] = []
            if b[urlEnd - 1] == comma {
                while urlEnd > urlStart && b[urlEnd - 1] == comma { urlEnd -= 1 }
            } else {
                // Descriptors run to the next comma outside parentheses.
                var current: [UInt8] = []
                var inParens = false
                func endDescriptor() {
                    if !current.isEmpty { descriptors.append(Substring(String(decoding: current, as: UTF8.self))); current.removeAll() }
                }
                while i < b.count {
                    let c = b[i]
                    if c == UInt8(ascii: "(") { inParens = true } else if c == UInt8(ascii: ")") { inParens = false }
                    if c == comma && !inParens { i += 1; break }
                    if isSpace(c) && !inParens { endDescriptor() } else { current.append(c) }
                    i += 1
                }
                endDescriptor()
            }
            guard urlEnd > urlStart else { continue }
            var candidate = SrcSetCandidate(url: String(decoding: UnsafeBufferPointer(rebasing: b[urlStart..<urlEnd]), as: UTF8.self))
            var valid = true
            for d in descriptors {
                let number = Double(d.dropLast())
                switch d.last {
                case "w": if let n = number, n > 0, candidate.width == nil, candidate.density == nil { candidate.width = n } else { valid = false }
                case "x": if let n = number, n > 0, candidate.density == nil, candidate.width == nil { candidate.density = n } else { valid = false }
                case "h": break
                default: valid = false
                }
            }
            if valid { result.append(candidate) }
        }
        return result
    }
}

/// The few attributes of an `<img>` extraction reads, by name: a short list searched in order
/// (an image has five or so; a `Dictionary` hashed every name on every lookup).
struct ImageAttributes: ExpressibleByDictionaryLiteral {
    private var entries: [(name: String, value: String)] = []

    init() {}

    init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { self[name] = value }
    }

    subscript(name: String) -> String? {
        get {
            for entry in entries where entry.name == name { return entry.value }
            return nil
        }
        set {
            if let i = entries.firstIndex(where: { $0.name == name }) {
                if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append((name, newValue))
            }
        }
    }
}

/// Chooses an `<img>`'s source among `src`, `srcset`, the `<source>` elements of its
/// `<picture>`, and lazy-loading attributes.
///
/// The largest candidate wins: by `w` descriptor when any candidate has one, else by `x`
/// descriptor (`src` counts as 1x). Lazy-loading attributes stand in for `src`/`srcset` when
/// those are missing or a placeholder (a `data:` URI, or a file named like blank.gif, spacer,
/// pixel, placeholder, transparent, lazy, loading, 1x1). The rest of the candidates are kept,
/// largest first, so that a crawl that fetched only one of them still resolves.
enum SourceChoice {
    struct Choice: Equatable {
        /// URLs as written in the page, best first; the first is the chosen one.
        var urls: [String]
        /// The attribute the chosen URL came from: `src`, `srcset`, `picture`, `data-src`, ...
        var chosenBy: String
    }

    static let lazySrcAttributes = ["data-src", "data-lazy-src", "data-original", "data-lazy", "data-url", "data-hi-res-src"]
    static let lazySrcsetAttributes = ["data-srcset", "data-lazy-srcset"]

    /// `attributes` are the img's (lower-case names); `pictureSources` the srcsets of the
    /// `<source>` elements before it in its `<picture>`, with usable types.
    static func choose(attributes: ImageAttributes, pictureSources: [String]) -> Choice? {
        var src = attributes["src"].map { WebURL.cleaned($0) }
        var srcName = "src"
        if src == nil || isPlaceholder(src!) {
            if let (name, value) = lazySrcAttributes.lazy.compactMap({ n in attributes[n].map { (n, WebURL.cleaned($0)) } }).first(where: { !$0.1.isEmpty && !isPlaceholder($0.1) }) {
                src = value
                srcName = name
            } else if src.map(isInline) == true {
                src = nil
            }
        }
        var srcset = attributes["srcset"].map(SrcSet.parse)
        var srcsetName = "srcset"
        if srcset == nil || srcset!.allSatisfy({ isPlaceholder($0.url) }) {
            if let (name, value) = lazySrcsetAttributes.lazy.compactMap({ n in attributes[n].map { (n, $0) } }).first {
                srcset = SrcSet.parse(value)
                srcsetName = name
            }
        }
        var ranked: [(url: String, width: Double?, density: Double, by: String)] = []
        for sourceSet in pictureSources {
            for c in SrcSet.parse(sourceSet) where !isInline(c.url) { ranked.append((c.url, c.width, c.density ?? 1, "picture")) }
        }
        if let srcset {
            for c in srcset where !isInline(c.url) { ranked.append((c.url, c.width, c.density ?? 1, srcsetName)) }
        }
        if let src, !src.isEmpty { ranked.append((src, nil, 1, srcName)) }
        guard !ranked.isEmpty else { return nil }
        let useWidth = ranked.contains { $0.width != nil }
        // Stable: among equals the earlier candidate (picture sources, then srcset, then src) wins.
        let order = ranked.indices.sorted { a, b in
            let x = ranked[a], y = ranked[b]
            let kx = useWidth ? (x.width ?? -1) : x.density, ky = useWidth ? (y.width ?? -1) : y.density
            return kx != ky ? kx > ky : a < b
        }
        var urls: [String] = []
        for i in order where !urls.contains(ranked[i].url) { urls.append(ranked[i].url) }
        return Choice(urls: urls, chosenBy: ranked[order[0]].by)
    }

    private static let placeholderWords = ["blank", "spacer", "pixel", "placeholder", "transparent", "lazy", "loading", "1x1", "empty.gif", "grey.gif", "gray.gif"]
        .map { Array($0.utf8) }

    /// A URL that names no fetchable image: empty, `#`, `about:`, or an inline `data:` URI.
    static func isInline(_ url: String) -> Bool {
        // Over bytes (ASCII case folding of the scheme): called for every candidate of every image.
        let u = url.utf8
        guard let first = u.first else { return true }
        if u.count == 1 && first == UInt8(ascii: "#") { return true }
        if u.starts(with: "about:".utf8) { return true }
        return u.count >= 5 && zip(u.prefix(5), "data:".utf8).allSatisfy { ($0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0) == $1 }
    }

    /// An inline URL, or a file named like a lazy-loading placeholder (only consulted when a
    /// lazy-loading attribute offers something else).
    static func isPlaceholder(_ url: String) -> Bool {
        if isInline(url) { return true }
        // The last path segment, ASCII lower-cased (the words are ASCII).
        let bytes = Array(url.utf8)
        let from = (bytes.lastIndex(of: UInt8(ascii: "/")) ?? -1) + 1
        let file = bytes[from...].map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
        return file.withUnsafeBytes { f in placeholderWords.contains { w in w.withUnsafeBytes { ByteSearch.contains(f, $0) } } }
    }
}
