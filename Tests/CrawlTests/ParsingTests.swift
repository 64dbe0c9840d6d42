@testable import Crawl
import CurateCore
import Testing

/// URL resolution, srcset, source choice, sentences, HTTP decoding: small hand-made inputs.
struct URLTests {
    /// RFC 3986 §5.4.1 and §5.4.2 examples against base http://a/b/c/d;p?q.
    @Test(arguments: [
        ("g", "http://a/b/c/g"), ("./g", "http://a/b/c/g"), ("g/", "http://a/b/c/g/"), ("/g", "http://a/g"),
        ("//g", "http://g"), ("?y", "http://a/b/c/d;p?y"), ("g?y", "http://a/b/c/g?y"), ("#s", "http://a/b/c/d;p?q#s"),
        ("g;x?y#s", "http://a/b/c/g;x?y#s"), ("", "http://a/b/c/d;p?q"), (".", "http://a/b/c/"), ("./", "http://a/b/c/"),
        ("..", "http://a/b/"), ("../g", "http://a/b/g"), ("../..", "http://a/"), ("../../g", "http://a/g"),
        ("../../../g", "http://a/g"), ("/./g", "http://a/g"), ("/../g", "http://a/g"), ("g.", "http://a/b/c/g."),
        (".g", "http://a/b/c/.g"), ("g..", "http://a/b/c/g.."), ("./../g", "http://a/b/g"), ("./g/.", "http://a/b/c/g/"),
        ("g/./h", "http://a/b/c/g/h"), ("g/../h", "http://a/b/c/h"), ("g;x=1/./y", "http://a/b/c/g;x=1/y"), ("g;x=1/../y", "http://a/b/c/y"),
    ])
    func rfc3986Examples(reference: String, expected: String) {
        let base = WebURL(parsing: "http://a/b/c/d;p?q")
        #expect(WebURL(parsing: reference).resolved(against: base).text == expected)
    }

    @Test func normalFormAndMatchKey() {
        let url = WebURL(parsing: "  HTTP://Example.COM:80/a/./b/../c d/%7euser?q=%e2%82%ac#frag\n")
        #expect(url.normalized?.text == "http://example.com/a/c%20d/~user?q=%E2%82%AC")
        #expect(WebURL(parsing: "https://example.com:443").normalized?.text == "https://example.com/")
        #expect(WebURL(parsing: "https://x.org/img.jpg").matchKey == WebURL(parsing: "http://x.org/img.jpg").matchKey)
        #expect(WebURL.resolve("javascript:void(0)", against: WebURL(parsing: "http://a/")) == nil)
        #expect(WebURL.resolve("\\\\cdn.x.org\\i.png", against: WebURL(parsing: "https://a/"))?.text == "https://cdn.x.org/i.png")
        #expect(WebURL.resolve("/café.jpg", against: WebURL(parsing: "http://a/"))?.text == "http://a/caf%C3%A9.jpg")
        // Dots that are not dot segments stay; a path that starts with a dot segment loses it.
        #expect(WebURL.resolve("/a/b.c/..d/.e", against: WebURL(parsing: "http://a/"))?.text == "http://a/a/b.c/..d/.e")
        #expect(WebURL.removeDotSegments("../x/./y") == "x/y")
        // Tabs and newlines inside a URL are dropped, C0 controls and spaces at the ends trimmed.
        #expect(WebURL.cleaned("\u{01} /a\tb\nc.jpg \u{1F}") == "/abc.jpg")
        // The match key of a resolved URL is the one a WARC-Target-URI of the same resource gets.
        let resolved = WebURL.resolve("IMG/x%7e.png", against: WebURL(parsing: "https://Example.org:443/p/"))!
        #expect(resolved.schemelessText == WebURL(parsing: "http://example.org/p/IMG/x~.png").matchKey)
    }
}

struct SourceChoiceTests {
    @Test func srcsetParsing() {
        let c = SrcSet.parse(" a.jpg 320w, b.jpg  640w ,c.jpg 1024w, d,e.jpg 2x, bad.jpg 3q")
        #expect(c.map(\.url) == ["a.jpg", "b.jpg", "c.jpg", "d,e.jpg"])
        #expect(c.map(\.width) == [320, 640, 1024, nil])
        #expect(c[3].density == 2)
    }

    @Test func largestCandidateWins() {
        let w = SourceChoice.choose(attributes: ["src": "s.jpg", "srcset": "m.jpg 640w, l.jpg 1280w, xs.jpg 100w"], pictureSources: [])
        #expect(w == .init(urls: ["l.jpg", "m.jpg", "xs.jpg", "s.jpg"], chosenBy: "srcset"))
        let x = SourceChoice.choose(attributes: ["src": "s.jpg", "srcset": "s2.jpg 2x"], pictureSources: [])
        #expect(x?.urls == ["s2.jpg", "s.jpg"])
        let picture = SourceChoice.choose(attributes: ["src": "s.jpg"], pictureSources: ["p1.webp 1x, p2.webp 2x"])
        #expect(picture == .init(urls: ["p2.webp", "p1.webp", "s.jpg"], chosenBy: "picture"))
    }

    @Test func lazyLoadingReplacesPlaceholders() {
        let gif = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
        #expect(SourceChoice.choose(attributes: ["src": gif, "data-src": "real.jpg"], pictureSources: []) == .init(urls: ["real.jpg"], chosenBy: "data-src"))
        #expect(SourceChoice.choose(attributes: ["src": "/img/blank.gif", "data-lazy-src": "r.jpg"], pictureSources: [])?.urls == ["r.jpg"])
        #expect(SourceChoice.choose(attributes: ["data-original": "o.jpg"], pictureSources: [])?.chosenBy == "data-original")
        #expect(SourceChoice.choose(attributes: ["src": "a.jpg", "data-src": "b.jpg"], pictureSources: [])?.urls == ["a.jpg"])
        // A real image that happens to be named like a placeholder stays when nothing replaces it.
        #expect(SourceChoice.choose(attributes: ["src": "loading-dock.jpg"], pictureSources: [])?.urls == ["loading-dock.jpg"])
        #expect(SourceChoice.choose(attributes: ["src": gif], pictureSources: []) == nil)
    }
}

struct SentenceTests {
    @Test func splitsAtSentenceEnds() {
        let s = Sentences.split("Dr. Smith met J. Doe at 3.30 p.m. in the park. It rained all day! Did it stop? yes it did. 「東京は晴れです。」大阪は雨でした。")
        #expect(s == ["Dr. Smith met J. Doe at 3.30 p.m. in the park.", "It rained all day!", "Did it stop? yes it did.", "「東京は晴れです。」", "大阪は雨でした。"])
    }

    /// The byte-level splitter against the cases a Character-level one handles for free.
    @Test func nonASCIIText() {
        // Non-ASCII white space (no-break, ideographic, line separator) collapses like a space.
        #expect(Sentences.collapse("a\u{3000}b\u{2028}\u{A0} c") == "a b c")
        // A lower-case non-ASCII letter after a period continues the sentence; an upper-case one starts the next.
        #expect(Sentences.split("Il est né à Paris. élève de Dupont, puis maître. Ça va bien merci.")
            == ["Il est né à Paris. élève de Dupont, puis maître.", "Ça va bien merci."])
        // Closing quotes after the period belong to the sentence; an initial with a non-ASCII letter is an initial.
        #expect(Sentences.split("Er sagte „Gut so.“ Dann kam É. Zola zur Tür herein.") == ["Er sagte „Gut so.“ Dann kam É. Zola zur Tür herein."])
        #expect(Sentences.split("«Voilà, tout est dit.» Puis il partit vers la gare.") == ["«Voilà, tout est dit.»", "Puis il partit vers la gare."])
        // Words written with combining marks are one word each; Thai counts by characters.
        #expect(Sentences.isSentence("cafe\u{301} cre\u{300}me bru\u{302}le\u{301}e"))
        #expect(Sentences.isSentence("สวัสดีครับ"))
        #expect(!Sentences.isSentence("สวั"))
    }

    @Test func fragmentsAreNotSentences() {
        #expect(Sentences.split("Home") == [])
        #expect(Sentences.split("Read more »") == [])
        #expect(Sentences.collapse("  a\u{A0}\n\t b  ") == "a b")
    }
}

struct HTTPTests {
    @Test func chunkedAndGzip() throws {
        let body = Array("<html><body><p>Hello there, world of pages.</p></body></html>".utf8)
        let gz = try #require(TestGzip.member(body))
        var chunked: [UInt8] = []
        for piece in [Array(gz[0..<10]), Array(gz[10...])] {
            chunked += Array(String(piece.count, radix: 16).utf8) + [13, 10] + piece + [13, 10]
        }
        chunked += Array("0\r\n\r\n".utf8)
        let block = Array("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=\"UTF-8\"\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n".utf8) + chunked
        let response = try HTTPResponse.parse(block).get()
        #expect(response.body == body)
        #expect(response.decodings == ["chunked", "gzip"])
        #expect(response.charset == "utf-8")
        #expect(response.mediaType == "text/html")
    }

    @Test func brotliIsCountedNotDecoded() {
        let block = Array("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n\u{1}\u{2}".utf8)
        guard case .failure(let why) = HTTPResponse.parse(block) else { Issue.record("brotli accepted"); return }
        #expect(why.reason == .unsupportedEncoding)
    }

    @Test func malformedStatusLine() {
        guard case .failure(let why) = HTTPResponse.parse(Array("HTTP/1.1 abc\r\n\r\n".utf8)) else { Issue.record("accepted"); return }
        #expect(why.reason == .malformedHTTP)
    }
}

struct ExtractorEdgeTests {
    /// Pages that decode to nothing (a BOM alone) or to a lone tag still give a page, not a crash.
    @Test func emptyAndTinyPages() {
        let processor = RecordProcessor()
        let location = RecordLocation(codec: "none", offset: 0, length: 3)
        for body in [[0xEF, 0xBB, 0xBF], Array("<html>".utf8), Array("<img src=a.jpg alt=x>".utf8)] as [[UInt8]] {
            let outcome = processor.payload(body, url: "http://a/", path: nil, location: location, status: 200, mediaType: "text/html",
                                            charset: nil, digest: nil, via: "response")
            guard case .page(let page) = outcome else { Issue.record("\(body): \(outcome)"); continue }
            #expect(page.extracted.references.count == (body.count > 10 ? 1 : 0))
            #expect(page.extracted.references.first?.urlKeys == page.extracted.references.first.map { _ in ["//a/a.jpg"] })
        }
    }
}

struct CharacterReferenceTests {
    /// HTML maps numeric references in 0x80-0x9F through windows-1252 (&#147; is “, &#132; is „),
    /// as html5lib and browsers do; libxml2 2.9 does not, so the extractor does.
    @Test func c1ReferencesAreWindows1252() {
        let html = Array("<p>Er sagte &#132;ja&#147; &#150; und ging.</p><img src=a.jpg alt=\"&#132;Haus&#147; &#128;5\">".utf8)
        let page = HTMLExtractor().extract(utf8: html, pageURL: WebURL(parsing: "http://a/"))
        #expect(page.references.first?.alt == "„Haus“ €5")
        #expect(page.sentences.map(\.text) == ["Er sagte „ja“ – und ging."])
    }
}

struct RawTextTests {
    /// `<noembed>`, `<noframes>`, `<xmp>` and `<iframe>` hold text for an HTML5 parser: an `<img>`
    /// inside is not an image, and an end tag inside does not close anything outside.
    @Test func imagesInsideRawTextAreNotImages() {
        let html = Array("""
            <div><p>One two three four.<noembed><span><img src="#{x}"></span></div></noembed> Still in the paragraph here.</p>
            <iframe><img src=b.jpg></iframe><img src=c.jpg alt=kept></div>
            """.utf8)
        let page = HTMLExtractor().extract(utf8: html, pageURL: WebURL(parsing: "http://a/"))
        #expect(page.references.map(\.urls) == [["http://a/c.jpg"]])
        #expect(page.sentences.map(\.text) == ["One two three four.", "Still in the paragraph here."])
    }
}
