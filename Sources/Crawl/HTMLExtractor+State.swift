import Foundation

/// The attributes of an element as either parser gives them: name and value bytes (a nil value is
/// an attribute written without one, which libxml2 reports so).
protocol ElementAttributes {
    func forEach(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>?) -> Void)
}

extension HTMLTag: ElementAttributes {
    func forEach(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>?) -> Void) {
        for i in 0..<attributeCount { body(attributeName(i), attributeValue(i)) }
    }
}

/// libxml2's SAX attributes: a NULL-terminated array of name, value C strings.
struct LibXML2Attributes: ElementAttributes {
    let pointer: UnsafeMutablePointer<UnsafePointer<UInt8>?>?
    func forEach(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>?) -> Void) {
        guard var p = pointer else { return }
        while let name = p.pointee {
            let value = (p + 1).pointee
            body(UnsafeBufferPointer(start: name, count: strlen(name)), value.map { UnsafeBufferPointer(start: $0, count: strlen($0)) })
            p += 2
        }
    }
}

/// The extractor's state while a parser walks one page (libxml2's SAX events, or the HTML
/// tokenizer's tokens through `HTML5TreeShape`): open elements, the text block being collected,
/// image references, open `<figure>` and `<picture>` elements.
struct ExtractionState {
    /// The elements the extractor treats specially.
    enum Tag: UInt8 {
        case other, html, head, title, base, img, picture, source, figure, figcaption, noscript
        case template        // its content is not part of the document: no text, no images
        case select          // never visible text; HTML5 ignores most tags inside it
        case hiddenText      // script, style, select, svg, ...: never visible text
        case rawText         // noembed, noframes, xmp, iframe: text to an HTML5 parser, which libxml2 2.9 parses as markup
        case boilerplate     // nav, footer, aside, form
        case header, content // content: article, main, section
        case block, lineBreak, void
    }

    struct Open { var key: UInt64; var tag: Tag; var hidesText: Bool; var foreign = false }
    private struct RawReference { var attributes: ImageAttributes; var pictureSources: [String]; var inNoscript: Bool; var figcaption: String? }
    private struct Figure { var references: [Int] = []; var caption: [UInt8] = [] }

    private(set) var open: [Open] = []
    private var hiddenDepth = 0, contentDepth = 0, noscriptDepth = 0, figcaptionDepth = 0, rawTextDepth = 0, templateDepth = 0
    private(set) var headDepth = 0, selectDepth = 0
    /// Open elements counted by a hash of their name key: zero means no element of that name is
    /// open, so the tree shape's walks down the stack (scopes, end tags) stop before they start.
    /// (200,000 nested elements and as many end tags of another name would walk the whole stack each time.)
    private var openByBucket = [Int32](repeating: 0, count: 256)

    @inline(__always) private static func bucket(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 56) }

    /// False when no open element has this name key (true may be a collision: walk to be sure).
    @inline(__always) func mayBeOpen(_ key: UInt64) -> Bool { openByBucket[Self.bucket(key)] > 0 }
    private var inTitle = false
    private var text: [UInt8] = []
    private var titleText: [UInt8] = []
    private var block = 0
    private var sentenceText: [UInt8] = []
    private var sentenceSpans: [SentenceSpan] = []
    private let collapseScratch = ByteScratch()
    private var references: [RawReference] = []
    private var figures: [Figure] = []
    private var pictures: [[String]] = []
    private var baseHref: String?
    private var language: String?

    // MARK: SAX events

    /// libxml2's start of an element.
    mutating func start(_ name: UnsafePointer<UInt8>, _ attributes: UnsafeMutablePointer<UnsafePointer<UInt8>?>?) {
        let key = Self.key(name)
        let tag = Self.tags[key] ?? .other
        // Inside a raw-text element nothing is an element (HTML's tokenizer), whatever libxml2 builds.
        if rawTextDepth > 0 && tag != .rawText { return }
        start(key: key, tag: tag, attributes: LibXML2Attributes(pointer: attributes))
    }

    /// The start of an element whose name has `key` and which the extractor treats as `tag`;
    /// `foreign` marks an SVG or MathML element (for the tree shape's bookkeeping).
    mutating func start<A: ElementAttributes>(key: UInt64, tag: Tag, attributes: A, foreign: Bool = false) {
        switch tag {
        case .img:
            guard templateDepth == 0 else { return }
            // Only the attributes the source choice and the text sources read become strings
            // (`class`, `width`, `sizes`, `loading`… are most of an <img>'s bytes).
            var all = ImageAttributes()
            attributes.forEach { n, v in
                guard Self.isImageAttribute(n) else { return }
                all[String(decoding: n, as: UTF8.self)] = v.map { String(decoding: $0, as: UTF8.self) } ?? ""
            }
            references.append(RawReference(attributes: all, pictureSources: pictures.last ?? [], inNoscript: noscriptDepth > 0))
            if !figures.isEmpty { figures[figures.count - 1].references.append(references.count - 1) }
            return
        case .source:
            guard !pictures.isEmpty else { return }
            var srcset: String?, type: String?
            forEachAttribute(attributes) { n, v in
                if n == "srcset" || (n == "data-srcset" && srcset == nil) { srcset = v }
                if n == "type" { type = v?.lowercased() }
            }
            if let srcset, type == nil || Self.decodableTypes.contains(type!) { pictures[pictures.count - 1].append(srcset) }
            return
        case .base:
            if baseHref == nil { forEachAttribute(attributes) { n, v in if n == "href", let v { baseHref = v } } }
            return
        case .lineBreak:
            flush()
            return
        case .void:
            return
        default: break
        }
        var hides = tag == .head || tag == .hiddenText || tag == .template || tag == .select || tag == .rawText || tag == .boilerplate || (tag == .header && contentDepth == 0) || tag == .noscript
        if !hides {
            attributes.forEach { n, v in
                if HTMLBytes.equal(n, "hidden") || (HTMLBytes.equal(n, "aria-hidden") && v.map { Self.lowercased($0) == "true" } == true)
                    || (HTMLBytes.equal(n, "role") && Self.boilerplateRoles.contains(v.map(Self.lowercased) ?? "")) {
                    hides = true
                }
            }
        }
        switch tag {
        case .html: forEachAttribute(attributes) { n, v in if n == "lang", let v, !v.isEmpty { language = v } }
        case .title: inTitle = true
        case .picture: pictures.append([])
        case .figure: flush(); figures.append(Figure())
        case .figcaption: flush(); figcaptionDepth += 1
        case .noscript: noscriptDepth += 1
        case .template: templateDepth += 1
        case .head: headDepth += 1
        case .select: selectDepth += 1
        case .rawText: rawTextDepth += 1
        case .content: contentDepth += 1
        case .block, .boilerplate, .header: flush()
        default: break
        }
        if hides { hiddenDepth += 1 }
        openByBucket[Self.bucket(key)] += 1
        open.append(Open(key: key, tag: tag, hidesText: hides, foreign: foreign))
    }

    /// Closes `open[index...]`, innermost first.
    mutating func close(from index: Int) {
        while open.count > index { close(open.removeLast()) }
    }

    /// Closes the one element at `index`, leaving the elements opened after it open (a misnested
    /// formatting element's end tag).
    mutating func close(only index: Int) {
        close(open.remove(at: index))
    }

    /// Ends the current text block, as `<br>` or an empty `<p></p>` does.
    mutating func breakLine() { flush() }

    /// libxml2's end of an element.
    mutating func end(_ name: UnsafePointer<UInt8>) {
        let key = Self.key(name)
        // Elements inside raw text were never opened; only the raw-text element's own end tag counts.
        if rawTextDepth > 0, let raw = open.last(where: { $0.tag == .rawText }), raw.key != key { return }
        guard let index = open.lastIndex(where: { $0.key == key }) else { return }
        while open.count > index { close(open.removeLast()) }
    }

    mutating func text(_ bytes: UnsafeBufferPointer<UInt8>) {
        if inTitle { titleText.append(contentsOf: bytes); return }
        guard hiddenDepth == 0 else { return }
        text.append(contentsOf: bytes)
        if figcaptionDepth > 0 && !figures.isEmpty { figures[figures.count - 1].caption.append(contentsOf: bytes) }
    }

    private mutating func close(_ element: Open) {
        openByBucket[Self.bucket(element.key)] -= 1
        if element.hidesText { hiddenDepth -= 1 }
        switch element.tag {
        case .title: inTitle = false
        case .picture: pictures.removeLast()
        case .noscript: noscriptDepth -= 1
        case .template: templateDepth -= 1
        case .head: headDepth -= 1
        case .select: selectDepth -= 1
        case .rawText: rawTextDepth -= 1
        case .content: contentDepth -= 1
        case .figcaption: flush(); figcaptionDepth -= 1
        case .figure:
            flush()
            let figure = figures.removeLast()
            let caption = Sentences.collapse(bytes: figure.caption)
            if !caption.isEmpty { for i in figure.references where references[i].figcaption == nil { references[i].figcaption = caption } }
        case .block, .boilerplate, .header: flush()
        default: break
        }
    }

    private mutating func flush() {
        guard !text.isEmpty else { return }
        let nonEmpty = text.withUnsafeBufferPointer {
            Sentences.appendSentences(of: $0, block: block, text: &sentenceText, spans: &sentenceSpans, scratch: collapseScratch)
        }
        text.removeAll(keepingCapacity: true)
        if nonEmpty { block += 1 }
    }

    // MARK: the result

    mutating func finish(pageURL: WebURL, keepingNoscriptCopies: Bool = false) -> ExtractedPage {
        flush()
        var base = pageURL
        var baseText: String?
        if let href = baseHref, let resolved = WebURL.resolve(href, against: pageURL) {
            base = resolved
            baseText = resolved.text
        }
        var seen: Set<String> = []
        var result: [ImageReference] = []
        for raw in references {
            let choice = SourceChoice.choose(attributes: raw.attributes, pictureSources: raw.pictureSources)
            var urls: [String] = [], keys: [String] = []
            for u in choice?.urls ?? [] {
                guard let resolved = WebURL.resolve(u, against: base) else { continue }
                let r = resolved.text
                if !urls.contains(r) { urls.append(r); keys.append(resolved.schemelessText) }
            }
            if raw.inNoscript, !keepingNoscriptCopies, let first = urls.first, seen.contains(first) { continue }
            if let first = urls.first { seen.insert(first) }
            let chosenBy = !urls.isEmpty ? choice!.chosenBy : (raw.attributes["src"].map { SourceChoice.isInline(WebURL.cleaned($0)) && !$0.isEmpty } == true ? "inline" : "none")
            func text(_ name: String) -> String? {
                raw.attributes[name].map(Sentences.collapse).flatMap { $0.isEmpty ? nil : $0 }
            }
            result.append(ImageReference(position: result.count, urls: urls, urlKeys: keys, chosenBy: chosenBy,
                                         alt: raw.attributes["alt"].map(Sentences.collapse),
                                         title: text("title"), ariaLabel: text("aria-label"), figcaption: raw.figcaption, inNoscript: raw.inNoscript))
        }
        let title = Sentences.collapse(bytes: titleText)
        return ExtractedPage(title: title.isEmpty ? nil : title, language: language, baseURL: baseText, references: result,
                             sentenceText: sentenceText, sentenceSpans: sentenceSpans)
    }

    // MARK: names

    private func forEachAttribute<A: ElementAttributes>(_ attributes: A, _ body: (String, String?) -> Void) {
        attributes.forEach { n, v in body(String(decoding: n, as: UTF8.self), v.map { String(decoding: $0, as: UTF8.self) }) }
    }

    /// `src`, `srcset`, `alt`, `title`, `aria-label` and every `data-` attribute (the lazy-loading ones).
    private static func isImageAttribute(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        if name.count > 5 && name[0] == 0x64 && name[1] == 0x61 && name[2] == 0x74 && name[3] == 0x61 && name[4] == 0x2D { return true }
        return HTMLBytes.equal(name, "src") || HTMLBytes.equal(name, "alt") || HTMLBytes.equal(name, "srcset") || HTMLBytes.equal(name, "title")
            || HTMLBytes.equal(name, "aria-label")
    }

    private static func lowercased(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes.map { HTMLBytes.lower(Int($0)) }, as: UTF8.self)
    }

    /// Up to seven bytes of the name and its length, packed: a cheap key for the names below.
    static func key(_ name: UnsafePointer<UInt8>) -> UInt64 {
        var key: UInt64 = 0
        var n = 0
        while name[n] != 0 {
            if n < 7 { key |= UInt64(name[n]) << (8 * UInt64(n)) }
            n += 1
        }
        return key | UInt64(min(n, 255)) << 56
    }

    /// The same key for a name given as bytes (the tokenizer's names are already lower case).
    static func key(_ name: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var key: UInt64 = 0
        for i in 0..<min(name.count, 7) { key |= UInt64(name[i]) << (8 * UInt64(i)) }
        return key | UInt64(min(name.count, 255)) << 56
    }

    static func key(_ name: String) -> UInt64 {
        var bytes = Array(name.utf8)
        bytes.append(0)
        return bytes.withUnsafeBufferPointer { key($0.baseAddress!) }
    }

    static let tags: [UInt64: Tag] = {
        var t: [UInt64: Tag] = [:]
        func add(_ names: String, _ tag: Tag) { for n in names.split(separator: " ") { t[key(String(n))] = tag } }
        add("html", .html); add("head", .head); add("title", .title); add("base", .base); add("img", .img)
        add("picture", .picture); add("source", .source); add("figure", .figure); add("figcaption", .figcaption)
        add("noscript", .noscript); add("header", .header); add("article main section", .content)
        add("template", .template)
        add("select", .select)
        add("script style textarea button svg math canvas object", .hiddenText)
        add("noembed noframes xmp iframe", .rawText)
        add("nav footer aside form", .boilerplate)
        add("address blockquote body dd details dialog div dl dt fieldset h1 h2 h3 h4 h5 h6 li ol p pre table td th tr ul caption summary legend center tbody thead tfoot", .block)
        add("br hr", .lineBreak)
        add("meta link input area col embed param track wbr keygen basefont bgsound frame", .void)
        return t
    }()

    static let boilerplateRoles: Set<String> = ["navigation", "banner", "contentinfo", "complementary", "menu", "menubar", "search"]
    static let decodableTypes: Set<String> = ["image/jpeg", "image/jpg", "image/png", "image/webp", "image/gif"]
}
