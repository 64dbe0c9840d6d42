import Foundation
import Testing
import TestSupport

/// `curate report` end to end: on the sample crawl after every stage, rendered by headless
/// Chromium (Debian's `chromium`, which `make setup` installs), which must load every image and
/// find every reference; and on a work folder where nothing has run.
@Suite(.serialized) struct ReportCommandTests {
    @Test func reportOfEveryStageLoadsInChromium() throws {
        let work = try BuildShardsCommandTests.filtered("report")
        defer { try? FileManager.default.removeItem(atPath: work) }
        #expect(try Curate.run(BuildShardsCommandTests.args + ["--work", work]).status == 0)
        let trained = try Curate.run(["train", "--shards", work + "/shards", "--out", work + "/model"] + TrainCommandTests.model)
        #expect(trained.status == 0, "\(trained.stderr)")

        let result = try Curate.run(["report", "--work", work, "--query", "a red circle", "--examples", "6"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("wrote \(work)/report/index.html (9 sections"), "\(result.stdout)")
        #expect(!result.stdout.contains("not run yet"), "every stage ran: \(result.stdout)")
        let page = try String(contentsOfFile: work + "/report/index.html", encoding: .utf8)
        for section in ["id=\"funnel\"", "id=\"drop-image_too_small\"", "id=\"kept\"", "id=\"curation\"", "id=\"weak\"", "id=\"decontamination\"", "id=\"training\"", "id=\"retrieval\"",
                        "“a red circle” <span class=\"muted\">(your query)", "Recall over alt-text val pairs only", "<svg class=\"chart\""] {
            #expect(page.contains(section), "the report has \(section)")
        }
        #expect(!page.contains("Not run"), "no section is marked as not run")
        #expect(!page.contains("<script") && !page.contains("<link"), "the page is self-contained: no scripts, no linked files")

        let check = try Chromium.check(page: work + "/report/index.html")
        #expect(check.images > 50, "the report shows the sample's images (\(check.images))")
        #expect(check.problems.isEmpty, "every image loads and every reference resolves: \(check.problems.prefix(10))")

        // A second run replaces the report whole (no `.partial` folder left, the same page).
        #expect(try Curate.run(["report", "--work", work, "--query", "a red circle", "--examples", "6"]).status == 0)
        #expect(try String(contentsOfFile: work + "/report/index.html", encoding: .utf8) == page)
        #expect(!FileManager.default.fileExists(atPath: work + "/report.partial"))
    }

    @Test func stagesNotRunAreShownAsSuch() throws {
        let work = NSTemporaryDirectory() + "curate-report-empty-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let result = try Curate.run(["report", "--work", work])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("not run yet: Runs, Funnel: crawl to shards, Drops, rule by rule, Kept samples (train shards), Languages and MetaCLIP balancing, Weak pairs (µ-VLA), Eval decontamination, Training, Retrieval with the trained model"), "\(result.stdout)")
        let page = try String(contentsOfFile: work + "/report/index.html", encoding: .utf8)
        #expect(page.components(separatedBy: "class=\"notrun\">Not run: ").count == 10, "nine sections say they have not run")
        #expect(!FileManager.default.fileExists(atPath: work + "/catalog.sqlite"), "the report creates no catalog")

        // --out is replaced whole, so a folder holding anything but a report is refused, untouched.
        let refused = try Curate.run(["report", "--work", work, "--out", work])
        #expect(refused.status == 1 && refused.stderr.contains("not a curate report") && FileManager.default.fileExists(atPath: work + "/report/index.html"))
        FileManager.default.createFile(atPath: work + "/catalog.sqlite", contents: Data("not a database".utf8))
        let garbage = try Curate.run(["report", "--work", work])
        #expect(garbage.status == 1 && garbage.stderr.split(separator: "\n").count == 1 && garbage.stderr.contains("not a readable catalog"), "\(garbage.stderr)")

        let missing = try Curate.run(["report", "--work", work + "/nothing"])
        #expect(missing.status == 1 && missing.stderr.split(separator: "\n").count == 1 && missing.stderr.contains("--work"), "\(missing.stderr)")
    }
}

/// Headless Chromium as the report's reader: a copy of the page with a script that, once
/// everything has loaded, lists each image that failed and each reference (src, href) with the
/// URL the browser resolved; Chromium prints the resulting DOM. A screenshot of the whole page is
/// written to `.build/test-output/report.png` and attached to the test.
enum Chromium {
    struct Check: Decodable {
        var images: Int
        var height: Int
        var problems: [String]
        var references: [String]
    }

    static let executable = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static let probe = """
    <script>
    window.addEventListener('load', () => {
      const problems = [], references = [];
      for (const img of document.images) {
        if (!img.complete || img.naturalWidth === 0) problems.push('image does not load: ' + img.getAttribute('src'));
      }
      for (const el of document.querySelectorAll('[src], [href]')) {
        const ref = el.getAttribute('src') ?? el.getAttribute('href');
        if (ref.startsWith('#')) {
          if (!document.getElementById(decodeURIComponent(ref.slice(1)))) problems.push('link to a missing anchor: ' + ref);
        } else {
          references.push(el.src || el.href);
        }
      }
      const out = document.createElement('pre');
      out.id = 'curate-check';
      out.textContent = JSON.stringify({images: document.images.length, height: document.documentElement.scrollHeight, problems, references});
      document.body.appendChild(out);
    });
    </script>
    """

    static func check(page: String) throws -> Check {
        guard let executable else {
            Issue.record("chromium is not installed: run make setup (it installs Debian's chromium package)")
            return Check(images: 0, height: 0, problems: ["no browser"], references: [])
        }
        let folder = (page as NSString).deletingLastPathComponent
        let probePage = folder + "/curate-check.html"
        let html = try String(contentsOfFile: page, encoding: .utf8)
        try html.replacingOccurrences(of: "</body>", with: probe + "</body>").write(toFile: probePage, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: probePage) }

        let dom = try run(executable, ["--dump-dom", "--virtual-time-budget=20000", URL(fileURLWithPath: probePage).absoluteString])
        guard let start = dom.range(of: "<pre id=\"curate-check\">"), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
            Issue.record("Chromium did not run the check: \(dom.suffix(500))")
            return Check(images: 0, height: 0, problems: ["no result"], references: [])
        }
        let json = String(dom[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        var check = try JSONDecoder().decode(Check.self, from: Data(json.utf8))
        for reference in check.references {
            guard let url = URL(string: reference), url.isFileURL else {
                check.problems.append("reference outside the report's folder: \(reference)")
                continue
            }
            if !FileManager.default.fileExists(atPath: url.path) { check.problems.append("missing file: \(url.path)") }
        }

        // The whole page (Chromium's surfaces stop at 16,384 pixels).
        let screenshot = SharedCorpus.repositoryRoot.path + "/.build/test-output/report.png"
        try FileManager.default.createDirectory(atPath: (screenshot as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = try run(executable, ["--screenshot=\(screenshot)", "--window-size=1280,\(min(max(check.height, 800), 16_000))", URL(fileURLWithPath: page).absoluteString])
        if let png = FileManager.default.contents(atPath: screenshot) {
            Attachment.record(png, named: "report.png")
            print("screenshot of the report: \(screenshot) (\(png.count) bytes)")
        } else {
            check.problems.append("Chromium wrote no screenshot")
        }
        return check
    }

    /// Runs headless Chromium (as root it needs --no-sandbox) and returns what it printed.
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-extensions"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
