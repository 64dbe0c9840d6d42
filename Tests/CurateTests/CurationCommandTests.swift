import Catalog
import CurateCore
import Foundation
import Testing
import TestSupport

/// `curate metadata`, then `curate filter` with MetaCLIP's and DataComp's built-in rule sets, end
/// to end on the sample crawl; languages in the shards' json; the one-line errors.
@Suite(.serialized) struct CurationCommandTests {
    @Test func metadataMetaCLIPAndDataCompRulesAndLanguagesInTheShards() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/wordnet/index.noun") else {
            print("skipped: curate metadata needs Debian's wordnet-base (make setup)")
            return
        }
        let work = try FilterCommandTests.crawled("curation")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let built = try Curate.run(["metadata", "--work", work])
        #expect(built.status == 0, "\(built.stderr)")
        #expect(built.stdout.contains("WordNet synset names") && built.stdout.contains(work + "/metaclip-metadata.txt"), "\(built.stdout)")
        let entries = try String(contentsOfFile: work + "/metaclip-metadata.txt", encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(entries.count > 80_000 && entries.prefix(3) == ["0", "1", "2"] && entries.contains("triangle"))

        let filtered = try Curate.run(["filter", "--work", work, "--rules", "built-in:metaclip.toml"])
        #expect(filtered.status == 0, "\(filtered.stderr)")
        #expect(filtered.lines.contains { $0.hasPrefix("metaclip_balance") && $0.contains("t = ") }, "\(filtered.stdout)")
        let db = try SQLiteDatabase(path: work + "/catalog.sqlite")
        #expect(try db.query("SELECT count(*) FROM metadata_entries WHERE entry = 'triangle' AND matches > 0")[0][0] == .integer(1))
        #expect(try db.query("SELECT count(*) FROM text_languages")[0][0] == db.query("SELECT count(*) FROM pairs")[0][0])
        let explained = try Curate.run(["filter", "--work", work, "--explain", "pair:1"])
        #expect(explained.stdout.contains("language ") && explained.stdout.contains("the page declares"), "\(explained.stdout)")

        let report = try Curate.run(["report", "--work", work])
        #expect(report.status == 0, "\(report.stderr)")
        let page = try String(contentsOfFile: work + "/report/index.html", encoding: .utf8)
        #expect(page.contains("MetaCLIP: matches per metadata entry") && page.contains("after balancing"))

        // DataComp's rules, then shards: every sample's json names its text's language.
        let datacomp = try Curate.run(["filter", "--work", work, "--rules", "built-in:datacomp-text.toml"])
        #expect(datacomp.status == 0 && datacomp.lines.contains { $0.hasPrefix("text_imagenet_entity") }, "\(datacomp.stderr)")
        let shards = try Curate.run(["build-shards", "--work", work, "--text-pairs", "0"])
        #expect(shards.status == 0, "\(shards.stderr)")
        var samples = 0, declared = 0
        let tars = try FileManager.default.contentsOfDirectory(atPath: work + "/shards").filter { $0.hasSuffix(".tar") }.sorted().map { work + "/shards/" + $0 }
        let reader = SampleReader(shards: tars)
        while let sample = reader.next() {
            guard let metadata = SampleMetadata.decode(sample.members["json"]), !metadata.isWeak else { continue }
            #expect(metadata.language != nil && metadata.languageConfidence != nil, "\(metadata)")
            if metadata.pageLanguage != nil { declared += 1 }
            samples += 1
        }
        #expect(samples > 0 && declared > 0)
    }

    @Test func badInputsAreOneLineErrors() throws {
        let missing = NSTemporaryDirectory() + "curate-no-such-work-\(getpid())"
        let noCatalog = try Curate.run(["metadata", "--work", missing])
        #expect(noCatalog.status == 1 && noCatalog.stderr.contains("no catalog at \(missing)/catalog.sqlite; run curate crawl-dump first"), "\(noCatalog.stderr)")
        let work = try FilterCommandTests.crawled("curation-bad")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let noMetadata = try Curate.run(["filter", "--work", work, "--rules", "built-in:metaclip.toml"])
        #expect(noMetadata.status == 1 && noMetadata.stderr.contains("metaclip-metadata.txt, the metadata of rule metaclip_no_match: no such file; run curate metadata"), "\(noMetadata.stderr)")
        #expect(noMetadata.stderr.split(separator: "\n").count == 1)
        let noWordNet = try Curate.run(["metadata", "--work", work, "--wordnet", "/nonexistent"])
        #expect(noWordNet.status == 1 && noWordNet.stderr.contains("cannot read WordNet's /nonexistent/index.noun; install Debian's wordnet-base"), "\(noWordNet.stderr)")
        let badSet = try Curate.run(["filter", "--work", work, "--rules", "built-in:metaclip.toml", "--set", "metaclip_balance.tail_share=3"])
        #expect(badSet.status == 1 && badSet.stderr.contains("tail_share must be between 0 and 1"), "\(badSet.stderr)")
    }
}
