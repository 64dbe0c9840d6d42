import Foundation
import Testing
import TestSupport

@Suite struct CurateCommandTests {
    @Test func helpListsSubcommandsWithExamples() throws {
        let result = try Curate.run(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("inspect"))
        #expect(result.stdout.contains("curate inspect photo.jpg"))
    }

    @Test func versionPrints() throws {
        let result = try Curate.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }
}

@Suite struct InspectCommandTests {
    func objects(_ result: CommandResult) throws -> [[String: Any]] {
        try result.lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    /// The demo's job: the bundled samples, one of them cut short on purpose.
    @Test func inspectsTheBundledSamples() throws {
        let result = try Curate.run(["inspect", "samples/images"])
        #expect(result.status == 0, "\(result.stderr)")
        let reports = try objects(result)
        #expect(reports.map { ($0["path"] as! String).split(separator: "/").last! } == ["scene.jpg", "scene.png", "scene.webp", "truncated.jpg"])
        let byName = Dictionary(uniqueKeysWithValues: reports.map { (String(($0["path"] as! String).split(separator: "/").last!), $0) })
        #expect(byName["scene.jpg"]?["decodes"] as? Bool == true)
        #expect(byName["scene.jpg"]?["width"] as? Int == 320)
        #expect(byName["scene.jpg"]?["format"] as? String == "jpeg")
        #expect((byName["scene.jpg"]?["sha256"] as? String)?.count == 64)
        #expect((byName["scene.webp"]?["phash"] as? String)?.count == 16)
        #expect(byName["truncated.jpg"]?["decodes"] as? Bool == false)
        #expect(byName["truncated.jpg"]?["reason"] as? String == "truncated")
        // The JPEG and the WebP of the same scene are near-duplicates by pHash.
        let a = UInt64(byName["scene.jpg"]!["phash"] as! String, radix: 16)!, b = UInt64(byName["scene.webp"]!["phash"] as! String, radix: 16)!
        #expect((a ^ b).nonzeroBitCount <= 6)
        #expect(result.stderr.contains("inspected 4 files: kept 3, dropped.truncated 1"))
    }

    @Test func missingPathIsAOneLineErrorAndExitsNonZero() throws {
        let result = try Curate.run(["inspect", "samples/images/scene.png", "no/such/file.jpg"])
        #expect(result.status != 0)
        #expect(result.lines.count == 2)
        let errorLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
        #expect(errorLines.count == 1)
        #expect(errorLines.first?.contains("no/such/file.jpg") == true)
        #expect(!result.stderr.contains("Usage:"))
    }

    @Test func badOptionIsAOneLineError() throws {
        let result = try Curate.run(["inspect", "--max-pixels", "0", "samples/images"])
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n") == ["Error: --max-pixels must be positive, got 0; pass a pixel count such as 89478485"])
    }

    /// Every real corpus image, valid and corrupt: one parseable line each, no crash.
    @Test(.enabled(if: SharedCorpus.isAvailable, "needs ../shared/corpus"))
    func inspectsTheWholeImageCorpus() throws {
        let folder = SharedCorpus.root!.appendingPathComponent("images").path
        let result = try Curate.run(["inspect", folder])
        #expect(result.status == 0, "\(result.stderr)")
        let reports = try objects(result)
        #expect(reports.count == SharedCorpus.files("images").count)
        let corrupt = reports.filter { ($0["path"] as! String).contains("/corrupt/") }
        #expect(corrupt.filter { $0["decodes"] as? Bool == false }.allSatisfy { ($0["reason"] as? String)?.isEmpty == false })
        let valid = reports.filter { ($0["path"] as! String).contains("/valid/") && !($0["path"] as! String).hasSuffix(".LICENSE") }
        #expect(valid.allSatisfy { $0["decodes"] as? Bool == true })
    }
}
