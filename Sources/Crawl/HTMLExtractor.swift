import CLibXML2

/// One `<img>` on a page, with its text sources kept apart.
public struct ImageReference: Sendable, Equatable {
    /// Order among the page's image references, from 0.
    public var position: Int
    /// Candidate URLs resolved against the page (normal form), best first; the first is the chosen source.
    public var urls: [String]
    /// The match key of each URL in `urls` (`WebURL.matchKey`), computed on the worker thread.
    public var urlKeys: [String]
    /// The attribute the chosen URL came from (`src`, `srcset`, `picture`, `data-src`, ...);
    /// `inline` when the image is only a data: URI, `none` when it has no source at all.
    public var chosenBy: String
    /// nil: no alt attribute; "": `alt=""` (decorative); otherwise entities decoded, white space collapsed.
    public var alt: String?
    public var title: String?
    public var ariaLabel: String?
    /// The text of the enclosing `<figure>`'s `<figcaption>`.
    public var figcaption: String?
    /// Inside `<noscript>` (kept only when its URL is not already on the page).
    public var inNoscript = false
}

/// What crawl-dump keeps of one HTML page.
public struct ExtractedPage: Sendable, Equatable {
    public var title: String?
    public var language: String?
    /// `<base href>` resolved against the page URL, when the page has one.
    public var baseURL: String?
    public var references: [ImageReference]
    /// The bytes of the visible text's sentences, one after another (UTF-8); `sentenceSpans`
    /// says where each is. Kept as bytes: the catalog binds them as they are.
    public var sentenceText: [UInt8]
    /// Sentences in page order, each with the number of its text block (a paragraph, a list
    /// item, a heading...), so that neighbours within one block can be paired.
    public var sentenceSpans: [SentenceSpan]

    /// The sentences as strings (for tests and tools; crawl-dump itself reads the bytes).
    public var sentences: [(block: Int, text: String)] {
        sentenceSpans.map { (Int($0.block), String(decoding: sentenceText[Int($0.start)..<Int($0.end)], as: UTF8.self)) }
    }

    public static func == (a: ExtractedPage, b: ExtractedPage) -> Bool {
        a.title == b.title && a.language == b.language && a.baseURL == b.baseURL && a.references == b.references
            && a.sentenceText == b.sentenceText && a.sentenceSpans == b.sentenceSpans
    }
}

/// Where one sentence of a page is in `ExtractedPage.sentenceText`, and its text block.
public struct SentenceSpan: Sendable, Equatable {
    public var block: Int32
    public var start: Int32
    public var end: Int32
}

/// Which HTML parser crawl-dump uses (`--html-parser`).
public enum HTMLParserChoice: String, CaseIterable, Sendable, Codable {
    /// curate's tokenizer, written from the WHATWG HTML standard (Sources/Crawl/HTML), with the
    /// tree shape extraction needs: the default.
    case html5
    /// Debian's libxml2 2.9 through SAX callbacks: the parser the project was specified with.
    case libxml2
}

/// Turns a page into what crawl-dump keeps of it, with one parser or the other.
protocol PageExtractor: AnyObject {
    func extract(utf8: [UInt8], pageURL: WebURL) -> ExtractedPage
    var keepsNoscriptCopies: Bool { get set }
}

func makePageExtractor(_ parser: HTMLParserChoice) -> PageExtractor {
    switch parser {
    case .html5: HTMLExtractor()
    case .libxml2: LibXML2Extractor()
    }
}

/// Extracts image references and sentences from a page with curate's HTML tokenizer and the tree
/// shape of `HTMLTreeShape` (no tree is built). What counts as visible text and which images are
/// kept is `ExtractionState`'s, the same for both parsers (see `LibXML2Extractor`).
public final class HTMLExtractor: PageExtractor {
    /// Keep `<noscript>` copies of images already on the page (for comparing with other parsers).
    var keepsNoscriptCopies = false

    public init() {}

    /// Extracts from `utf8` (a whole page, valid UTF-8) whose address is `pageURL`.
    public func extract(utf8: [UInt8], pageURL: WebURL) -> ExtractedPage {
        var shape = HTMLTreeShape()
        utf8.withUnsafeBufferPointer { HTMLTokenizer.tokenize($0, into: &shape) }
        return shape.state.finish(pageURL: pageURL, keepingNoscriptCopies: keepsNoscriptCopies)
    }

    /// The tokenizer alone, into a sink that does nothing: the floor under `extract` (for curate-bench).
    static func tokenizeOnly(_ utf8: [UInt8]) {
        var sink = NullSink()
        utf8.withUnsafeBufferPointer { HTMLTokenizer.tokenize($0, into: &sink) }
    }

    private struct NullSink: HTMLTokenSink {
        var allowsCDATA: Bool { false }
        mutating func characters(_ text: UnsafeBufferPointer<UInt8>) {}
        mutating func startTag(_ tag: HTMLTag) -> HTMLTokenizerState? { nil }
        mutating func endTag(_ tag: HTMLTag) {}
    }
}

/// Extracts image references and sentences from a page with libxml2's HTML parser, driven by
/// SAX callbacks (no tree is built): `--html-parser libxml2`.
///
/// libxml2's memory parser runs in recover mode with no network access and no error output
/// (HTML_PARSE_RECOVER | NONET | NOERROR | NOWARNING), on text already converted to UTF-8 by
/// `Charset` (HTML_PARSE_IGNORE_ENC, so a `<meta charset>` cannot switch it to another decoder).
/// libxml2 never loads external entities in HTML mode.
///
/// Visible text excludes `<head>` (the `<title>` is kept apart), `script`, `style`, `noscript`,
/// `template`, `textarea`, `select`, `button`, `svg`, `math`, `canvas`, `object`, the raw-text
/// elements `iframe`, `noembed`, `noframes`, `xmp` (nothing inside them is an element, images
/// included: HTML5 tokenizes their content as text, and libxml2 2.9 does not), and
/// navigation boilerplate: `nav`, `footer`, `aside`, `form`, a `header` that is not inside an
/// `article`, `main` or `section`, and any element with `hidden`, `aria-hidden="true"` or a
/// role of navigation, banner, contentinfo, complementary, menu, menubar or search. Images are
/// recorded wherever they are (a logo in a nav bar is still an image; the filters judge it),
/// except inside `<noscript>` when the same URL is already on the page (the fallback copy of a
/// lazy-loaded image). Numeric references to C1 controls (`&#147;`) become the windows-1252
/// characters HTML maps them to (`Sentences.collapse`).
final class LibXML2Extractor: PageExtractor {
    private var sax = htmlSAXHandler()
    var state = ExtractionState()
    /// Keep `<noscript>` copies of images already on the page (for comparing with other parsers).
    var keepsNoscriptCopies = false

    /// libxml2 must be initialised once, on one thread, before parsers run on several (xmlInitParser).
    private static let libraryReady: Bool = { xmlInitParser(); return true }()

    init() {
        precondition(Self.libraryReady, "libxml2's xmlInitParser did not run.")
        sax.startElement = { ctx, name, attributes in
            guard let ctx, let name else { return }
            Unmanaged<LibXML2Extractor>.fromOpaque(ctx).takeUnretainedValue().state.start(name, attributes)
        }
        sax.endElement = { ctx, name in
            guard let ctx, let name else { return }
            Unmanaged<LibXML2Extractor>.fromOpaque(ctx).takeUnretainedValue().state.end(name)
        }
        sax.characters = { ctx, bytes, length in
            guard let ctx, let bytes, length > 0 else { return }
            Unmanaged<LibXML2Extractor>.fromOpaque(ctx).takeUnretainedValue().state.text(UnsafeBufferPointer(start: bytes, count: Int(length)))
        }
        sax.ignorableWhitespace = sax.characters
        // Raw text of script and style elements arrives here; it is never page text.
        sax.cdataBlock = { _, _, _ in }
    }

    static let parseOptions = Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NONET.rawValue | HTML_PARSE_NOERROR.rawValue
        | HTML_PARSE_NOWARNING.rawValue | HTML_PARSE_COMPACT.rawValue | HTML_PARSE_IGNORE_ENC.rawValue)

    /// Parses `utf8` (a whole page, valid UTF-8) whose address is `pageURL`.
    func extract(utf8: [UInt8], pageURL: WebURL) -> ExtractedPage {
        state = ExtractionState()
        Self.parse(utf8, sax: &sax, context: Unmanaged.passUnretained(self).toOpaque())
        return state.finish(pageURL: pageURL, keepingNoscriptCopies: keepsNoscriptCopies)
    }

    /// libxml2's parse alone, with no callbacks: the floor under `extract` (for curate-bench).
    static func parseWithoutCallbacks(_ utf8: [UInt8]) {
        _ = libraryReady
        var empty = htmlSAXHandler()
        parse(utf8, sax: &empty, context: nil)
    }

    private static func parse(_ utf8: [UInt8], sax: inout htmlSAXHandler, context: UnsafeMutableRawPointer?) {
        guard !utf8.isEmpty else { return }   // (libxml2 refuses an empty buffer; there is nothing to find)
        utf8.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                // libxml2 takes an int length: a page over 2 GiB (only with a raised --max-record-mb) is read up to there.
                guard let ctxt = htmlCreateMemoryParserCtxt(chars.baseAddress, Int32(min(chars.count, Int(Int32.max)))) else {
                    preconditionFailure("libxml2's htmlCreateMemoryParserCtxt failed: out of memory.")
                }
                ctxt.pointee.sax.pointee = sax
                ctxt.pointee.userData = context
                _ = xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8)
                htmlCtxtUseOptions(ctxt, parseOptions)
                _ = htmlParseDocument(ctxt)
                htmlFreeParserCtxt(ctxt)
            }
        }
    }
}
