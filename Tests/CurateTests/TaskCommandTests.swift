import Foundation
import Testing
import TestSupport

/// `curate task`, the units' interface, without an engine: the link's join done here, as the
/// driver does it, so that the unit code is tested where Spark is absent (SparkTests runs it all
/// through Spark).
@Suite struct TaskCommandTests {
    static func task(_ fields: [String: Any]) throws -> (status: Int32, answer: [String: Any]) {
        let spec = String(decoding: try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self)
        let result = try Curate.run(["task", spec])
        let last = result.lines.last ?? "{}"
        return (result.status, (try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]) ?? [:])
    }

    static func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    static func count(_ catalog: String, _ sql: String) throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])", catalog, sql]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Int(out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test func unitsCrawlLinkAndResolveAsOneCatalogDoes() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("curate-task-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try Curate.run(["synth-crawl", "--size", "sample", "--warc-files", "3", "--out", root + "/crawl"]).status == 0)
        let dumps = (0..<3).map { root + "/crawl/crawl-0000\($0).warc.gz" }
        #expect(try Curate.run(["crawl-dump", "--work", root + "/one"] + dumps).status == 0)
        let work = root + "/units", units = ["u00000", "u00001", "u00002"]
        for (unit, dump) in zip(units, dumps) {
            let (status, answer) = try Self.task(["task": "crawl", "work": work, "unit": unit, "dumps": [dump]])
            #expect(status == 0 && answer["ok"] as? Bool == true, "\(answer)")
        }
        // A second attempt of a finished unit changes nothing and says so.
        let again = try Self.task(["task": "crawl", "work": work, "unit": "u00001", "dumps": [dumps[1]]])
        #expect(again.answer["already_done"] as? Bool == true)
        // The engine's join: each unit's wants against the other units' offers (redirects, then images).
        var offers: [[String: Any]] = [], wants: [(String, String)] = []
        for unit in units {
            offers += try Self.lines(work + "/units/\(unit)/offers.jsonl")
            wants += try Self.lines(work + "/units/\(unit)/wants.jsonl").map { ($0["key"] as! String, $0["unit"] as! String) }
        }
        #expect(!wants.isEmpty, "pages of later files use images of earlier ones")
        var resolved = 0
        for unit in units {
            var keys = Set(wants.filter { $0.1 == unit }.map(\.0))
            let redirects = offers.filter { $0["kind"] as? String == "redirect" && $0["unit"] as? String != unit && keys.contains($0["key"] as! String) }
            for r in redirects { keys.insert(r["target_key"] as! String) }
            let images = offers.filter { $0["kind"] as? String == "image" && $0["unit"] as? String != unit && keys.contains($0["key"] as! String) }
            let imports = try (redirects + images).map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
            let path = work + "/units/\(unit)/link-imports.jsonl"
            try (imports.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            let (status, answer) = try Self.task(["task": "link", "work": work, "unit": unit, "imports": path])
            #expect(status == 0, "\(answer)")
            resolved += answer["resolved"] as? Int ?? 0
            // Linking again with the same imports changes nothing.
            #expect(try Self.task(["task": "link", "work": work, "unit": unit, "imports": path]).answer["resolved"] as? Int == answer["resolved"] as? Int)
        }
        #expect(resolved == (try Self.count(root + "/one/catalog.sqlite", "SELECT count(*) FROM refs WHERE status = 'resolved'")))
        var pairs = 0
        for unit in units { pairs += try Self.count(work + "/units/\(unit)/catalog.sqlite", "SELECT count(*) FROM pairs") }
        #expect(pairs == (try Self.count(root + "/one/catalog.sqlite", "SELECT count(*) FROM pairs")))
    }

    @Test func badTasksAreOneLineAnswersWithExitStatusOne() throws {
        for (spec, expected) in [("not json", "JSON"), (#"{"task":"fly"}"#, "unknown task \"fly\""), (#"{"task":"crawl","work":"/tmp/x"}"#, "\"unit\""),
                                 (#"{"task":"link","work":"/tmp/x","unit":"u9","imports":"/nonexistent"}"#, "no finished crawl of unit u9")] {
            let result = try Curate.run(["task", spec])
            #expect(result.status == 1, "\(spec)")
            let answer = (try? JSONSerialization.jsonObject(with: Data((result.lines.last ?? "").utf8)) as? [String: Any]) ?? [:]
            #expect(answer["ok"] as? Bool == false && (answer["error"] as? String ?? "").contains(expected), "\(spec): \(result.stdout)")
        }
    }
}
