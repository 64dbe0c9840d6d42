import Foundation
import Testing
import TestSupport
@testable import Crawl

/// html5lib's own conformance tests (../shared/corpus/html5lib), the same runner as
/// `curate-bench --html5lib-tokenizer` and `--html5lib-encoding`.
struct HTML5LibConformanceTests {
    static func files(_ folder: String, _ suffix: String) -> [URL] {
        guard let root = SharedCorpus.root?.appendingPathComponent("html5lib/" + folder) else { return [] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted().map { root.appendingPathComponent($0) }
    }

    @Test(.enabled(if: SharedCorpus.isAvailable)) func everyTokenizerTestPasses() throws {
        let files = Self.files("tokenizer", ".test")
        #expect(files.count >= 12)
        var passed = 0
        var failed: [String] = []
        for file in files {
            let result = HTMLConformance.runTokenizerTests(try Data(contentsOf: file), file: file.lastPathComponent)
            passed += result.passed
            failed += result.failed
        }
        print("html5lib tokenizer: \(passed) passed, \(failed.count) failed")
        #expect(failed.isEmpty, "\(failed.prefix(10).joined(separator: "\n"))")
        #expect(passed >= 5_000, "every test in each of its initial states")
    }

    @Test(.enabled(if: SharedCorpus.isAvailable)) func everyEncodingTestPasses() throws {
        let files = Self.files("encoding", ".dat")
        #expect(!files.isEmpty)
        for file in files {
            let result = HTMLConformance.runEncodingTests(try Data(contentsOf: file), file: file.lastPathComponent)
            print("html5lib encoding \(file.lastPathComponent): \(result.summary)")
            #expect(result.failed.isEmpty, "\(result.failed.joined(separator: "\n"))")
            #expect(result.passed >= 50)
        }
    }

    /// The runner must be able to fail: a wrong expectation is reported by its description.
    @Test func theRunnerReportsAFailure() {
        let file = #"{"tests": [{"description": "deliberately wrong", "input": "<a>", "output": [["StartTag", "b", {}]]}, {"description": "right", "input": "x&amp;y", "output": [["Character", "x&y"]]}]}"#
        let result = HTMLConformance.runTokenizerTests(Data(file.utf8), file: "inline")
        #expect(result.passed == 1 && result.failed.count == 1 && result.failed[0].contains("deliberately wrong"))
        #expect(result.summary == "1 passed, 1 failed")
    }
}

/// The tokenizer and the tree shape on small pages written for one rule each.
struct HTMLTokenizerTests {
    static func tokens(_ html: String, state: HTMLTokenizerState = .data) -> [HTMLConformance.Token] {
        HTMLConformance.tokens(Array(html.utf8), state: state, lastStartTag: [])
    }

    static func page(_ html: String) -> ExtractedPage {
        HTMLExtractor().extract(utf8: Array(html.utf8), pageURL: WebURL(parsing: "http://example.org/a/"))
    }

    static func u(_ s: String) -> [UInt16] { Array(s.utf16) }

    @Test func characterReferences() {
        // In text the legacy names need no semicolon; in an attribute they stay as written before `=` or a letter.
        #expect(Self.tokens("&notin; &not; &notit; &amp &#x41; &#65 &#128; &#0; &#xD800;") == [.characters(Self.u("∉ ¬ ¬it; & A A € \u{FFFD} \u{FFFD}"))])
        #expect(Self.tokens("<a href='?a=1&copy=2&copy;&amp=3'>") == [.startTag(name: Self.u("a"), attributes: [Self.u("href"): Self.u("?a=1&copy=2©&amp=3")], selfClosing: false)])
        #expect(Self.tokens("&#x;&#;&") == [.characters(Self.u("&#x;&#;&"))])
    }

    @Test func tagsAndAttributes() {
        // `alt=y/>` would make the value "y/": a self-closing slash needs a space before it after an unquoted value.
        #expect(Self.tokens("<IMG SRC=a.png Alt=\"x\" alt=y />") == [.startTag(name: Self.u("img"), attributes: [Self.u("src"): Self.u("a.png"), Self.u("alt"): Self.u("x")], selfClosing: true)])
        #expect(Self.tokens("a\r\nb\rc") == [.characters(Self.u("a\nb\nc"))])
        #expect(Self.tokens("<!-- a -- b --><!DOCTYPE html>") == [.comment(Self.u(" a -- b ")), .doctype(name: Self.u("html"), publicID: nil, systemID: nil, correct: true)])
    }

    @Test func theTreeShapeSwitchesTokenizerStates() {
        let page = Self.page("<title>A <b>bold</b> &amp; title</title><textarea><img src=t.png alt=no></textarea>"
            + "<script>document.write('<img src=s.png alt=no>')</script><style>p{}</style><xmp><img src=x.png alt=no></xmp>"
            + "<p><img src=yes.png alt=yes></p><plaintext><img src=p.png alt=no>")
        #expect(page.title == "A <b>bold</b> & title")
        #expect(page.references.map(\.alt) == ["yes"])
    }

    @Test func impliedEndTagsDecideWhatIsHidden() {
        // A <div> closes the hidden <p>: its text is visible (HTML5 does this; a plain stack would not).
        let page = Self.page("<p hidden>Hidden words are not here.<div>These words are visible ones.</div>")
        #expect(page.sentences.map(\.text) == ["These words are visible ones."])
        // A </span> does not close the hidden <div> inside it (a special element stops it).
        let span = Self.page("<span><div hidden>Hidden words stay hidden.</span>More hidden words here.</div><p>Shown words are here.</p>")
        #expect(span.sentences.map(\.text) == ["Shown words are here."])
        // Items close the previous item.
        let list = Self.page("<ul><li hidden>First item is hidden.<li>Second item is shown.</ul>")
        #expect(list.sentences.map(\.text) == ["Second item is shown."])
    }

    @Test func headEndsAtBodyContent() {
        let page = Self.page("<html><head><title>T</title><meta charset=utf-8><p>This paragraph is in the body.</p>")
        #expect(page.title == "T" && page.sentences.map(\.text) == ["This paragraph is in the body."])
    }

    @Test func foreignContentSelectTemplateAndImage() {
        let page = Self.page("<svg><title>svg title words</title><image href=svg.png/><![CDATA[<img src=c.png alt=no>]]></svg>"
            + "<math><mi><img src=m.png alt=math></mi></math>"
            + "<select><option>one</option><img src=sel.png alt=no></select><template><img src=t.png alt=no></template>"
            + "<image src=old.png alt=image>")
        #expect(page.title == nil)
        #expect(page.references.map(\.alt) == ["math", "image"])
        // An HTML element inside <svg> breaks out of it.
        let out = Self.page("<svg><rect/><img src=a.png alt=out><p>Text after the svg is visible.</p>")
        #expect(out.references.map(\.alt) == ["out"] && out.sentences.map(\.text) == ["Text after the svg is visible."])
    }

    @Test func pictureSourcesAndFigures() {
        let page = Self.page("<figure><picture><source srcset=\"/w/a.webp\" type=\"image/webp\"><img src=\"/a.png\" alt=\"A\"></picture><figcaption>The caption words.</figcaption></figure>")
        #expect(page.references.first?.urls.first == "http://example.org/w/a.webp")
        #expect(page.references.first?.figcaption == "The caption words.")
    }

    @Test func deepNestingIsCapped() {
        let html = String(repeating: "<span>", count: 100_000) + "<img src=d.png alt=deep>" + String(repeating: "</b>", count: 100_000)
        let page = Self.page(html)
        #expect(page.references.map(\.alt) == ["deep"])
    }

    @Test func prescanFollowsTheStandard() {
        func found(_ s: String) -> String? { EncodingPrescan.declaredEncoding(Array(s.utf8))?.encoding }
        #expect(found("<meta charset=\"iso-8859-1\">") == "windows-1252")
        #expect(found("<!-- <meta charset=koi8-r> --><meta charset=gbk>") == "GBK")
        #expect(found("<meta content=\"text/html; charset=shift_jis\">") == nil)   // no http-equiv: no pragma
        #expect(found("<meta http-equiv=Content-Type content='text/html; charset=utf-16'>") == "UTF-8")
        #expect(found("<div title='<meta charset=koi8-r>'><meta charset=euc-kr>") == "EUC-KR")
        #expect(found("<meta charset=nonsense>") == nil)
    }
}

/// White-space collapsing (sixteen bytes at a time where it can) against a plain reference
/// written here with the standard library's Unicode properties, on generated text with every
/// kind of white space.
struct CollapseTests {
    /// Unicode White_Space runs to one space, ends trimmed; U+0085 (a C1 control) read as
    /// windows-1252's byte 0x85, the ellipsis.
    static func reference(_ text: String) -> String {
        let scalars = text.unicodeScalars.map { $0.value == 0x85 ? "\u{2026}" : $0 }
        var words: [String] = [], word = String.UnicodeScalarView()
        for scalar in scalars {
            if scalar.properties.isWhitespace { if !word.isEmpty { words.append(String(word)); word = .init() } } else { word.append(scalar) }
        }
        if !word.isEmpty { words.append(String(word)) }
        return words.joined(separator: " ")
    }

    @Test func collapseMatchesTheReference() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) % n }
        let pieces = ["a", "word", "longerwordhere", " ", "  ", "\t", "\n", "\r\n", "\u{A0}", "é", "日本", "\u{85}", ".", "!", "x y z w v u t s r q p o"]
        for _ in 0..<2_000 {
            let text = (0..<next(40)).map { _ in pieces[next(pieces.count)] }.joined()
            #expect(String(decoding: Sentences.collapsedBytes(Array(text.utf8)), as: UTF8.self) == Self.reference(text), "\(text.debugDescription)")
            #expect(Sentences.collapse(text) == Self.reference(text), "\(text.debugDescription)")
        }
        // Invalid UTF-8 becomes U+FFFD, as the string path's repair does.
        #expect(Sentences.collapsedBytes([0x61, 0xFF, 0x20, 0x20, 0x62]) == Array("a\u{FFFD} b".utf8))
    }
}
