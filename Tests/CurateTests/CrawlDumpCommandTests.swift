import Catalog
import Foundation
import Testing
import TestSupport

/// `curate crawl-dump` end to end on samples/, against the generator's ground truth.
@Suite(.serialized) struct CrawlDumpCommandTests {
    static func scratch(_ name: String) -> String {
        let dir = NSTemporaryDirectory() + "curate-crawl-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        return dir
    }

    /// Every table except `runs` (timestamps), row by row, as text.
    static func dump(_ work: String) throws -> [String] {
        let db = try SQLiteDatabase(path: work + "/catalog.sqlite")
        var out: [String] = []
        for table in ["sources", "pages", "images", "image_urls", "redirects", "revisits", "refs", "ref_candidates", "pairs", "sentences", "skips"] {
            let columns = table == "sources" ? "id, path, kind, sha256, bytes, status, stats" : "*"
            for row in try db.query("SELECT \(columns) FROM \(table) ORDER BY 1, 2") { out.append("\(table) \(row)") }
        }
        // The index is built by the first stage that queries it; built now, it holds every sentence once.
        try CatalogStore(path: work + "/catalog.sqlite").indexSentences()
        out.append("fts \(try db.query("SELECT count(*) FROM sentences_fts WHERE sentences_fts MATCH 'bridge'"))")
        return out
    }

    /// Every table (but `runs`) of crawl-dump with curate's tokenizer against libxml2's: the same
    /// on the sample crawl; on the corpus WARCs the rows that differ are listed (README.md,
    /// "Agreement with an independent parser", explains them).
    @Test func bothParsersWriteTheSameCatalog() throws {
        var inputs = ["samples/crawl.warc.gz"]
        if let root = SharedCorpus.root { inputs.append(root.appendingPathComponent("warc").path) }
        for input in inputs {
            var dumps: [[String]] = []
            for parser in ["html5", "libxml2"] {
                let work = Self.scratch("parser-\(parser)")
                defer { try? FileManager.default.removeItem(atPath: work) }
                let result = try Curate.run(["crawl-dump", input, "--work", work, "--html-parser", parser])
                #expect(result.status == 0, "\(result.stderr)")
                // The sources' absolute paths and ids are the same; the runs differ by the option itself.
                dumps.append(try Self.dump(work))
            }
            let onlyHTML5 = dumps[0].filter { !Set(dumps[1]).contains($0) }, onlyLibXML2 = dumps[1].filter { !Set(dumps[0]).contains($0) }
            print("\(input): \(dumps[0].count) rows; \(onlyHTML5.count) only with html5, \(onlyLibXML2.count) only with libxml2")
            for row in onlyHTML5.prefix(20) { print("  html5:   \(row.prefix(160))") }
            for row in onlyLibXML2.prefix(20) { print("  libxml2: \(row.prefix(160))") }
            if input.hasPrefix("samples/") {
                #expect(dumps[0] == dumps[1], "the sample's catalog does not depend on the parser")
            } else {
                // The corpus WARCs: only page text differs (libxml2 2.9 keeps HTML5 entity names it does not know).
                #expect((onlyHTML5 + onlyLibXML2).allSatisfy { $0.hasPrefix("sentences ") || $0.hasPrefix("pages ") || $0.hasPrefix("fts ") }, "\(onlyHTML5 + onlyLibXML2)")
            }
        }
    }

    @Test func sampleMatchesTruth() throws {
        let work = Self.scratch("truth")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let result = try Curate.run(["crawl-dump", "samples/crawl.warc.gz", "--work", work])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lines.contains("  pages 24"))
        let db = try SQLiteDatabase(path: work + "/catalog.sqlite")
        let truth = try String(contentsOf: SharedCorpus.repositoryRoot.appendingPathComponent("samples/truth.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        // Every image the WARC holds completely is catalogued with the recorded SHA-256; the cut-off one is not.
        var shas: Set<String> = []
        for row in try db.query("SELECT sha256 FROM images") { if case .text(let s) = row[0] { shas.insert(s) } }
        for image in truth where image["type"] as? String == "image" {
            let inDump = image["in_dump"] as? Bool ?? false
            if inDump, let sha = image["sha256"] as? String { #expect(shas.contains(sha), "\(image["url"]!)") }
        }
        #expect(try db.query("SELECT count(*) FROM images WHERE url LIKE '%/images/last.jpg'") == [[.integer(0)]])
        #expect(try db.query("SELECT count(*) FROM skips WHERE reason = 'truncated'") == [[.integer(1)]])
        // Each <img> on each page: same alt, title and figcaption as the truth, resolved to the truth's image
        // (for <picture>, curate takes the <source> as a browser does: the truth's picture_source reference).
        var checked = 0
        for page in truth where page["type"] as? String == "page" {
            let url = page["url"] as! String
            let refs = truth.filter { $0["type"] as? String == "reference" && $0["page"] as? String == url }
            let images = refs.filter { $0["form"] as? String != "picture_source" }
            let rows = try db.query("SELECT r.alt, r.title, r.figcaption, coalesce(r.matched_url, r.url), r.status FROM refs r JOIN pages p ON p.id = r.page_id WHERE p.url = ? ORDER BY r.position", [.text(url)])
            #expect(rows.count == images.count, "\(url)")
            for (row, ref) in zip(rows, images) {
                func text(_ v: SQLiteDatabase.Value) -> String? { if case .text(let s) = v { s } else { nil } }
                #expect(text(row[0]) == ref["alt"] as? String && text(row[1]) == ref["title"] as? String && text(row[2]) == ref["figcaption"] as? String, "\(url) \(ref)")
                var expected = ref["url"] as? String
                if ref["form"] as? String == "picture_img", let i = refs.firstIndex(where: { ($0 as NSDictionary) == (ref as NSDictionary) }), i > 0 {
                    expected = refs[i - 1]["url"] as? String
                }
                #expect(text(row[3]) == expected, "\(url) \(ref)")
                #expect(text(row[4]) == (["missing", "truncated"].contains(ref["kind"] as? String ?? "") ? "missing" : "resolved"), "\(url) \(ref)")
                checked += 1
            }
        }
        #expect(checked == 277)
        // Unreferenced images are catalogued too, as images without pairs.
        #expect(try db.query("SELECT count(*) FROM images WHERE url LIKE '%orphan-%' AND id NOT IN (SELECT image_id FROM pairs)") == [[.integer(2)]])
        // Revisits resolve to their original pages.
        #expect(try db.query("SELECT count(*) FROM revisits WHERE page_id IS NULL") == [[.integer(0)]])
    }

    @Test func mirrorGivesTheSamePairs() throws {
        let (a, b) = (Self.scratch("warc"), Self.scratch("mirror"))
        defer { try? FileManager.default.removeItem(atPath: a); try? FileManager.default.removeItem(atPath: b) }
        #expect(try Curate.run(["crawl-dump", "samples/crawl.warc.gz", "--work", a]).status == 0)
        #expect(try Curate.run(["crawl-dump", "samples/mirror", "--work", b]).status == 0)
        func pairs(_ w: String) throws -> [[SQLiteDatabase.Value]] {
            try SQLiteDatabase(path: w + "/catalog.sqlite").query("SELECT substr(p.url, instr(p.url, '//')), i.sha256, x.text, x.text_source FROM pairs x JOIN pages p ON p.id = x.page_id JOIN images i ON i.id = x.image_id ORDER BY 1, 2, 3, 4")
        }
        let (pa, pb) = (try pairs(a), try pairs(b))
        #expect(pa.count > 150)
        #expect(pa == pb)
    }

    /// A run killed at chosen fault points and at a random moment, then re-run, leaves exactly the catalog of an uninterrupted run;
    /// a second run over the same dump reads nothing again.
    @Test func killedRunsResumeToTheSameCatalog() throws {
        let (clean, killed) = (Self.scratch("clean"), Self.scratch("killed"))
        defer { try? FileManager.default.removeItem(atPath: clean); try? FileManager.default.removeItem(atPath: killed) }
        let args = ["crawl-dump", "samples/crawl.warc.gz", "samples/mirror", "--batch-records", "5"]
        let (result, points) = try Curate.countingFaultPoints(args + ["--work", clean])
        #expect(result.status == 0 && points > 20, "\(points) fault points")
        // Early, middle and late (each rerun resumes), then once at a random moment.
        #expect(try Curate.killAtFaultPoints(args + ["--work", killed], [2, points * 4 / 10, points * 4 / 10]) == 3)
        try Curate.killRepeatedly(args + ["--work", killed], times: 1, delay: 20_000...300_000)
        #expect(try Curate.run(args + ["--work", killed]).status == 0)
        #expect(try Self.dump(killed) == Self.dump(clean))
        let again = try Curate.run(args + ["--work", killed])
        #expect(again.stdout.contains("2 already in the catalog"))
        #expect(try Self.dump(killed) == Self.dump(clean))
    }

    /// The progress line goes to a terminal only: nothing on stderr through a pipe, and the line
    /// (rewritten with CR + erase-line) under a pseudo-terminal made by util-linux `script`.
    @Test func progressOnlyOnATerminal() throws {
        let piped = Self.scratch("piped"), tty = Self.scratch("tty")
        defer { for w in [piped, tty] { try? FileManager.default.removeItem(atPath: w) } }
        let result = try Curate.run(["crawl-dump", "samples/crawl.warc.gz", "--work", piped])
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result.stderr)")
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            print("progressOnlyOnATerminal: /usr/bin/script (util-linux) is missing; the terminal half was skipped")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", "\(Curate.executable.path) crawl-dump samples/crawl.warc.gz --work \(tty)", "/dev/null"]
        process.currentDirectoryURL = SharedCorpus.repositoryRoot
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text.contains("\r\u{1B}[Krecords "), "\(text.prefix(300))")
        #expect(text.contains("pages 24"))
    }

    @Test func badInputIsOneLine() throws {
        let result = try Curate.run(["crawl-dump", "README.md", "--work", Self.scratch("bad")])
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("README.md"))
    }
}
