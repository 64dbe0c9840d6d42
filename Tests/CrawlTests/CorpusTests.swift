@testable import Crawl
import CurateCore
import Foundation
import Testing
import TestSupport

/// crawl-dump's readers and extractor on the real files of ../shared/corpus (skipped, and said
/// so, when the shared folder is absent) and on the committed samples/.
struct WARCCorpusTests {
    /// Reads a file to the end, returning records by type and skips by reason.
    static func readAll(_ path: String) throws -> (records: [String: Int], skips: [CrawlSkip], gaps: Int) {
        let reader = WARCReader(stream: try DumpStream(path: path))
        var records: [String: Int] = [:], skips: [CrawlSkip] = [], gaps = 0
        while let event = reader.next() {
            switch event {
            case .record(let r): records[r.type, default: 0] += 1
            case .skipped(let s): skips.append(s)
            case .gap: gaps += 1
            }
        }
        return (records, skips, gaps)
    }

    /// Two files whose writers put a Content-Length two bytes short: the stray bytes are a gap
    /// between records (nothing lost), not a malformed header.
    @Test(.enabled(if: SharedCorpus.isAvailable)) func strayBytesBetweenRecordsAreAGap() throws {
        for name in ["pywb-example.warc", "warcio-example-trunc.warc"] {
            let (_, skips, gaps) = try Self.readAll(try #require(SharedCorpus.root).appendingPathComponent("warc/" + name).path)
            #expect(gaps >= 1, "\(name)")
            #expect(!skips.contains { $0.reason == .malformedWARCHeader }, "\(name): \(skips)")
        }
    }

    /// In a gzip file a skip names the file offset of the member that holds it, where a gzip
    /// tool can start; the inflated position is in the detail.
    @Test func skipOffsetsInGzipFilesAreMemberOffsets() throws {
        let sample = SharedCorpus.repositoryRoot.appendingPathComponent("samples/crawl.warc.gz").path
        var bytes = [UInt8](FileManager.default.contents(atPath: sample)!)
        var starts: [Int] = []
        for i in 0..<(bytes.count - 2) where bytes[i] == 0x1f && bytes[i + 1] == 0x8b && bytes[i + 2] == 0x08 { starts.append(i) }
        let junk = try #require(TestGzip.member(Array(String(repeating: "not a WARC header\r\n", count: 8).utf8)))
        bytes.insert(contentsOf: junk, at: starts[10])
        let path = NSTemporaryDirectory() + "curate-junkmember-\(getpid()).warc.gz"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (records, skips, _) = try Self.readAll(path)
        #expect(records == (try Self.readAll(sample)).records)
        let skip = try #require(skips.first { $0.reason == .malformedWARCHeader })
        #expect(skip.offset == Int64(starts[10]))
        #expect(skip.detail.contains("gzip member at byte \(starts[10])"))
    }

    /// Every file of corpus/warc is read to its end without a crash; the record counts are the
    /// MANIFEST's (warcio's) except where a record is broken, and then a skip says where.
    @Test(.enabled(if: SharedCorpus.isAvailable)) func everyCorpusWARCReads() throws {
        let expected: [String: Int] = ["jwarc-cc.warc.gz": 1, "pywb-example.warc.gz": 6, "pywb-iana.warc.gz": 343,
            "ukwa-IAH-20080430204825-00000-blackbook-truncated.warc.gz": 23, "ukwa-IAH-20080430204825-00000-blackbook-truncated.warc": 23,
            "ukwa-transfer_compression_gzip.warc.gz": 5, "ukwa-truncated_datetime.warc": 5,
            "ukwa-wikipedia-mona-lisa-flashfrozen-jwat-recompressed.warc.gz": 82, "wac-mutliple-headers.warc": 1,
            "warc2zim-example-revisit.warc.gz": 16, "warc2zim-kiwix-with-redirects.warc.gz": 105, "warc2zim-single-page-test.warc": 108,
            "warcat-at.warc.gz": 8, "warcat-long_url.warc": 1, "warcio-example-bad.warc.gz.bad": 1,
            "warcio-example-iana.org-chunked.warc": 3, "warcio-example-space-in-target-uri.warc.gz": 2]
        for url in SharedCorpus.files("warc") {
            let (records, skips, _) = try Self.readAll(url.path)
            let total = records.values.reduce(0, +)
            if let n = expected[url.lastPathComponent] {
                #expect(total >= n, "\(url.lastPathComponent): \(total) records, warcio reads \(n)")
            }
            for skip in skips { #expect(!skip.detail.isEmpty && skip.offset >= 0, "\(url.lastPathComponent): \(skip)") }
        }
    }

    /// A damaged gzip member loses its own record only; the reader names its offset.
    @Test func badGzipMemberLosesOneRecord() throws {
        let sample = SharedCorpus.repositoryRoot.appendingPathComponent("samples/crawl.warc.gz").path
        var bytes = [UInt8](FileManager.default.contents(atPath: sample)!)
        let (clean, _, _) = try Self.readAll(sample)
        // Corrupt the deflate data of the member that starts at the 40th gzip header.
        var starts: [Int] = []
        for i in 0..<(bytes.count - 2) where bytes[i] == 0x1f && bytes[i + 1] == 0x8b && bytes[i + 2] == 0x08 { starts.append(i) }
        let victim = starts[40]
        for k in 30..<60 { bytes[victim + k] ^= 0x5a }
        let path = NSTemporaryDirectory() + "curate-badgzip-\(getpid()).warc.gz"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (records, skips, _) = try Self.readAll(path)
        #expect(records.values.reduce(0, +) == clean.values.reduce(0, +) - 1)
        #expect(skips.contains { $0.reason == .badGzip && $0.offset == Int64(victim) })
    }

    /// The same records whether the WARC is plain, one gzip member per record, or one member in all.
    @Test func plainAndSingleMemberGzipReadAlike() throws {
        let sample = SharedCorpus.repositoryRoot.appendingPathComponent("samples/crawl.warc.gz").path
        let stream = try DumpStream(path: sample)
        var plain: [UInt8] = []
        while stream.fill(1) { plain += stream.buffer[stream.start...]; stream.consume(stream.available) }
        let dir = NSTemporaryDirectory() + "curate-forms-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: dir + "/plain.warc", contents: Data(plain))
        FileManager.default.createFile(atPath: dir + "/single.warc.gz", contents: Data(try #require(TestGzip.member(plain))))
        let a = try Self.readAll(dir + "/plain.warc"), b = try Self.readAll(dir + "/single.warc.gz"), c = try Self.readAll(sample)
        #expect(a.records == c.records, "\(a.records) \(a.skips) vs \(c.records) \(c.skips)")
        #expect(b.records == c.records)
        #expect(a.records["response"]! > 100)
    }
}

struct CharsetCorpusTests {
    /// The pages of corpus/html/encodings declare nothing; each comes out readable.
    @Test(.enabled(if: SharedCorpus.isAvailable)) func undeclaredEncodingsAreDetected() throws {
        let expected = ["Big5": ("BIG5-HKSCS", "台北看守所"), "GB2312": ("GB18030", "搜狐在线"), "KOI8-R": ("KOI8-R", "МОСКВА"),
                        "SHIFT_JIS": ("CP932", "衆院議院運営委員会"), "utf-8": ("UTF-8", "桃太郎"), "windows-1252": ("CP1252", "£825")]
        for url in SharedCorpus.files("html/encodings") {
            let key = String(url.lastPathComponent.split(separator: "_")[0]).replacingOccurrences(of: "SHIFT", with: "SHIFT_JIS")
            let (charset, phrase) = try #require(expected[key == "SHIFT_JIS" ? key : key], "\(url.lastPathComponent)")
            let decoded = Charset.decode(SharedCorpus.bytes(url), httpCharset: nil)
            #expect(decoded.charset == charset, "\(url.lastPathComponent)")
            #expect(String(decoding: decoded.utf8, as: UTF8.self).contains(phrase), "\(url.lastPathComponent)")
            #expect(decoded.errors == 0)
        }
    }

    @Test func declaredCharsetsWin() {
        let latin = Array("<meta charset=\"iso-8859-1\"><p>caf\u{E9}</p>".unicodeScalars.map { UInt8($0.value) })
        let d = Charset.decode(latin, httpCharset: nil)
        #expect(d.source == "meta" && d.charset == "CP1252")
        #expect(String(decoding: d.utf8, as: UTF8.self).contains("café"))
        let h = Charset.decode(latin, httpCharset: "windows-1252")
        #expect(h.source == "http")
        let bom = Charset.decode([0xEF, 0xBB, 0xBF] + Array("é".utf8), httpCharset: "iso-8859-1")
        #expect(bom.source == "bom" && String(decoding: bom.utf8, as: UTF8.self) == "é")
    }
}

/// curate's <img> extraction against html5lib's (Tests/Golden/html_reference.py) on every page of corpus/html.
struct ReferenceAgreementTests {
    @Test(.enabled(if: SharedCorpus.isAvailable)) func altTextsAgreeWithHTML5Lib() throws {
        let golden = SharedCorpus.repositoryRoot.appendingPathComponent("Tests/Golden/html-reference.json")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: golden)) as? [String: [[String: Any]]])
        let extractor = HTMLExtractor()
        extractor.keepsNoscriptCopies = true
        var pages = 0, agreeing = 0, images = 0, imagesAgreeing = 0
        var differences: [String] = []
        for (page, theirs) in reference.sorted(by: { $0.key < $1.key }) {
            let url = SharedCorpus.root!.appendingPathComponent("html/" + page)
            let decoded = Charset.decode(SharedCorpus.bytes(url), httpCharset: nil)
            let ours = extractor.extract(utf8: decoded.utf8, pageURL: WebURL(parsing: "http://example.org/a/b.html"))
            // <template> content is not part of the document.
            let theirAlts = theirs.filter { ($0["template"] as? Bool) != true }.map { $0["alt"] as? String }
            let ourAlts = ours.references.map(\.alt)
            pages += 1
            images += theirAlts.count
            imagesAgreeing += zip(theirAlts, ourAlts).filter { $0 == $1 }.count
            if theirAlts == ourAlts { agreeing += 1 } else if differences.count < 12 {
                let firstDifference = zip(theirAlts, ourAlts).first { $0 != $1 }.map { "\($0.0 ?? "nil") vs \($0.1 ?? "nil")" } ?? "count \(theirAlts.count) vs \(ourAlts.count)"
                differences.append("\(page): \(firstDifference)")
            }
        }
        print("html5lib agreement: \(agreeing)/\(pages) pages identical, \(imagesAgreeing)/\(images) <img> alt texts")
        // The other text sources of each image: title, aria-label, the figure's caption.
        var sources = 0, sourcesAgreeing = 0
        var sourceDifferences: [String] = []
        for (page, theirs) in reference.sorted(by: { $0.key < $1.key }) {
            let url = SharedCorpus.root!.appendingPathComponent("html/" + page)
            let ours = extractor.extract(utf8: Charset.decode(SharedCorpus.bytes(url), httpCharset: nil).utf8, pageURL: WebURL(parsing: "http://example.org/a/b.html"))
            let images = theirs.filter { ($0["template"] as? Bool) != true }
            guard images.count == ours.references.count else { continue }
            for (their, our) in zip(images, ours.references) {
                for (name, mine) in [("title", our.title), ("aria_label", our.ariaLabel), ("figcaption", our.figcaption)] {
                    let expected = their[name] as? String
                    guard expected != nil || mine != nil else { continue }
                    sources += 1
                    if expected == mine { sourcesAgreeing += 1 } else { sourceDifferences.append("\(page) \(name): \(expected ?? "nil") vs \(mine ?? "nil")") }
                }
            }
        }
        print("html5lib agreement: \(sourcesAgreeing)/\(sources) titles, aria-labels and figcaptions")
        for difference in sourceDifferences { print("  differs: \(difference.prefix(200))") }
        #expect(Double(sourcesAgreeing) >= 0.98 * Double(sources), "\(sourceDifferences.prefix(5))")
        for difference in differences { print("  differs: \(difference)") }
        // The one known difference, explained in README.md ("Agreement with an independent parser"): qq.html
        // is valid UTF-8 labelled gb2312; curate reads UTF-8, html5lib shows mojibake.
        #expect(agreeing >= pages - 1 && differences.allSatisfy { $0.hasPrefix("readability/qq.html:") }, "\(differences.joined(separator: "; "))")
        #expect(Double(imagesAgreeing) >= 0.99 * Double(images))
    }
}

/// curate's tokenizer against libxml2 on every page of corpus/html: what each finds, and where
/// they differ (listed), with html5lib's reference as the judge of the alt texts.
struct ParserComparisonTests {
    @Test(.enabled(if: SharedCorpus.isAvailable)) func html5AndLibXML2OnTheCorpus() throws {
        let golden = SharedCorpus.repositoryRoot.appendingPathComponent("Tests/Golden/html-reference.json")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: golden)) as? [String: [[String: Any]]])
        let html5 = HTMLExtractor(), libxml2 = LibXML2Extractor()
        html5.keepsNoscriptCopies = true
        libxml2.keepsNoscriptCopies = true
        var altDifferences: [String] = [], sentenceDifferences: [String] = []
        var html5Right = 0, libxml2Right = 0
        for (page, theirs) in reference.sorted(by: { $0.key < $1.key }) {
            let url = SharedCorpus.root!.appendingPathComponent("html/" + page)
            let decoded = Charset.decode(SharedCorpus.bytes(url), httpCharset: nil)
            let pageURL = WebURL(parsing: "http://example.org/a/b.html")
            let a = html5.extract(utf8: decoded.utf8, pageURL: pageURL), b = libxml2.extract(utf8: decoded.utf8, pageURL: pageURL)
            let truth = theirs.filter { ($0["template"] as? Bool) != true }.map { $0["alt"] as? String }
            if a.references.map(\.alt) == truth { html5Right += 1 }
            if b.references.map(\.alt) == truth { libxml2Right += 1 }
            if a.references.map(\.alt) != b.references.map(\.alt) {
                altDifferences.append("\(page): html5 \(a.references.count) images\(a.references.map(\.alt) == truth ? " (as html5lib)" : ""), libxml2 \(b.references.count)\(b.references.map(\.alt) == truth ? " (as html5lib)" : "")")
            }
            let (x, y) = (a.sentences.map(\.text), b.sentences.map(\.text))
            if x != y {
                let first = zip(x, y).first { $0 != $1 }.map { "\"\($0.0.prefix(60))\" vs \"\($0.1.prefix(60))\"" } ?? "\(x.count) vs \(y.count) sentences"
                sentenceDifferences.append("\(page): \(first)")
            }
        }
        print("parsers on \(reference.count) pages: alt texts as html5lib: html5 \(html5Right), libxml2 \(libxml2Right)")
        print("alt texts differ on \(altDifferences.count) pages, sentences on \(sentenceDifferences.count):")
        for d in altDifferences { print("  alts: \(d)") }
        for d in sentenceDifferences { print("  sentences: \(d)") }
        // Where the two parsers find other alt texts, curate's tokenizer is the one html5lib agrees with.
        #expect(altDifferences.allSatisfy { $0.contains("html5 ") && $0.split(separator: ",")[0].contains("(as html5lib)") }, "\(altDifferences)")
        #expect(html5Right >= libxml2Right)
    }
}
