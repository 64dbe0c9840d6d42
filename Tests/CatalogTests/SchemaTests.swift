import Foundation
import Testing
@testable import Catalog

/// The schema in one place, its version and migrations, and b356a0b's catalog of the sample
/// (Tests/Fixtures/catalog-b356a0b.sqlite: crawl-dump, filter --eval-images and weak-pairs
/// --detections of samples/ by curate at b356a0b) read through the migrations.
@Suite struct SchemaTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let fixture = repository + "/Tests/Fixtures/catalog-b356a0b.sqlite"

    static func folder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("curate-schema-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// A copy of the b356a0b fixture, opened (and so migrated).
    static func migratedFixture() throws -> CatalogStore {
        let path = try folder() + "/catalog.sqlite"
        try FileManager.default.copyItem(atPath: fixture, toPath: path)
        return try CatalogStore(path: path)
    }

    static func schemaRows(_ db: SQLiteDatabase) throws -> [String] {
        try db.query("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").map { "\($0)" }
    }

    @Test func aFreshCatalogIsAtTheCurrentVersionWithEveryTableDescribed() throws {
        let store = try CatalogStore(path: try Self.folder() + "/catalog.sqlite", create: true)
        #expect(try CatalogStore.version(of: store.db) == CatalogSchema.version)
        let markdown = try CatalogSchema.markdown(store.db)
        #expect(!markdown.contains("(not described)"), "every table and view has a writer and readers: \(markdown)")
        for table in CatalogSchema.tables { #expect(markdown.contains("| `\(table.name)` |"), "\(table.name) exists") }
        // Opening again runs nothing and changes nothing.
        let before = try Self.schemaRows(store.db)
        #expect(try Self.schemaRows(CatalogStore(path: store.path).db) == before)
    }

    @Test func aMissingCatalogIsNotCreatedByReaders() throws {
        let path = try Self.folder() + "/catalog.sqlite"
        #expect(throws: CatalogError.self) { try CatalogStore(path: path) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func theReadmeSchemaSectionIsTheRealSchema() throws {
        let readme = try String(contentsOfFile: Self.repository + "/README.md", encoding: .utf8)
        let store = try CatalogStore(path: ":memory:", create: true)
        guard let begin = readme.range(of: "<!-- schema:begin"), let end = readme.range(of: "<!-- schema:end -->") else {
            Issue.record("README.md has no schema:begin/end markers"); return
        }
        let section = readme[readme[begin.upperBound...].firstIndex(of: "\n").map { readme.index(after: $0) }!..<end.lowerBound]
        #expect(String(section) == (try CatalogSchema.markdown(store.db)), "README.md's schema section is stale: run make readme-schema")
    }

    @Test func aCatalogOfANewerCurateIsRefusedNamingBothVersions() throws {
        let path = try Self.folder() + "/catalog.sqlite"
        _ = try CatalogStore(path: path, create: true)
        try SQLiteDatabase(path: path).execute("PRAGMA user_version = 99")
        do {
            _ = try CatalogStore(path: path)
            Issue.record("a version-99 catalog opened")
        } catch let error as CatalogError {
            let line = error.description
            #expect(line.contains("version 99") && line.contains("this curate's \(CatalogSchema.version)") && !line.contains("\n"), "\(line)")
        }
        #expect(try CatalogStore.version(of: SQLiteDatabase(path: path)) == 99, "the newer catalog is left as it was")
    }

    @Test func b356a0bsCatalogMigratesToTheFreshSchema() throws {
        let store = try Self.migratedFixture()
        #expect(try CatalogStore.version(of: store.db) == CatalogSchema.version)
        let fresh = try CatalogStore(path: try Self.folder() + "/catalog.sqlite", create: true)
        #expect(try Self.schemaRows(store.db) == Self.schemaRows(fresh.db), "a migrated catalog has exactly the fresh schema")
        // Runs read back typed.
        let crawl = try #require(try store.lastRun(CrawlRun.self))
        #expect(crawl.options.inputs == ["samples/crawl.warc.gz"] && crawl.summary?.outcomes["pages"] == 24)
        let filter = try #require(try store.lastFilterRun())
        #expect(filter.options.rules.contains("[[rule]]") && filter.options.evalImages == nil)
        #expect(filter.summary?.rules.count == 14 && filter.summary?.images == 119 && filter.summary?.decontaminated == 7)
        let weak = try #require(try store.lastRun(WeakPairsRun.self))
        #expect(weak.options == WeakPairsRun.Options(k: 5, allImages: false, excludeOwnPages: false, requireTagWord: false,
                                                      detections: "samples/detections.jsonl", corpus: []))
        #expect(weak.summary?.images == 36 && weak.summary?.detectorTagged == 33 && weak.summary?.contextTagged == 3
                && weak.summary?.unmatched == 3 && weak.summary?.pairs == 165)
        #expect(try store.db.query("SELECT key FROM meta").map { "\($0)" } == ["[Catalog.SQLiteDatabase.Value.text(\"fts_indexed_to\")]"])
        // Decisions gain their fields from b356a0b's sentences.
        let decisions = try store.decisions()
        #expect(!decisions.isEmpty && decisions.allSatisfy { !$0.check.isEmpty }, "every decision has its check")
        let near = decisions.filter { $0.item == .image && $0.check == DecisionCheck.nearDuplicate }
        #expect(!near.isEmpty && near.allSatisfy { $0.detail.relatedImageID != nil && $0.detail.distance != nil && $0.detail.colorDistance != nil })
        let eval = decisions.filter { $0.check == DecisionCheck.evalNearDuplicate && $0.item == .image }
        #expect(!eval.isEmpty && eval.allSatisfy { $0.detail.evalPath?.hasPrefix("samples/eval/") == true })
        #expect(try store.droppedImages(check: DecisionCheck.evalNearDuplicate) == eval.count)
        let withImage = decisions.filter { $0.item == .pair && $0.detail.text?.hasPrefix("image ") == true }
        #expect(!withImage.isEmpty && withImage.allSatisfy { $0.detail.relatedImageID.map { "image \($0)" } == $0.detail.text })
        // The kept sets are what b356a0b's own queries gave.
        let kept = try store.db.query("SELECT count(*) FROM kept_images").first?.first
        let legacy = try store.db.query("SELECT count(*) FROM images WHERE id NOT IN (SELECT id FROM filter_decisions WHERE item = 'image')").first?.first
        #expect(kept == legacy && kept != .integer(0))
    }

    @Test func legacyTextIsReadOnce() {
        let options = LegacyRecords.weakPairsOptions("k=7 all_images=true exclude_own_pages=false require_tag_word=true detections=/data/my detections.jsonl corpus=a.txt,b txt")
        #expect(options == WeakPairsRun.Options(k: 7, allImages: true, excludeOwnPages: false, requireTagWord: true,
                                                 detections: "/data/my detections.jsonl", corpus: ["a.txt", "b txt"]))
        #expect(LegacyRecords.weakPairsOptions("k=5 all_images=false exclude_own_pages=false require_tag_word=false detections=- corpus=pages").detections == nil)
        let summary = LegacyRecords.weakPairsSummary("""
            weak pairs for 36 images: tags from the detector 33, from context 3, none 0; no sentence found 3
            wrote 165 weak pairs (1.5 s, 24 images/s); 4 detection lines skipped (not readable JSON, or over 1 MiB)
            """)
        #expect(summary.images == 36 && summary.pairs == 165 && summary.seconds == 1.5 && summary.detectionLinesSkipped == 4 && summary.untagged == 0)
        #expect(LegacyRecords.nearDuplicate("near-duplicate of image 12 (pHash distance 3, colour distance 1.5)")! == (12, 3, 1.5))
        let eval = LegacyRecords.evalNearDuplicate("within pHash 2 (colour distance 0.4) of eval image samples/eval/a b.jpg")!
        #expect(eval.path == "samples/eval/a b.jpg" && eval.distance == 2 && eval.color == 0.4)
        #expect(LegacyRecords.ruleChecks("[[rule]]\nname = \"a\"\ncheck = \"decodes\"\n\n[[rule]]\ncheck = \"min_words\"\nname = \"b\"\n").map { "\($0)=\($1)" }
                == ["a=decodes", "b=min_words"])
    }

    @Test func relocateMovesSourcesUnderAFolderAndMatchesStoredRelativePaths() throws {
        let store = try CatalogStore(path: try Self.folder() + "/catalog.sqlite", create: true)
        try store.db.execute("""
            INSERT INTO sources (id, path, kind, sha256, bytes, status) VALUES
              (1, '/data/crawl/a.warc.gz', 'warc', 'a', 0, 'done'), (2, '/data/crawl/sub/b.warc.gz', 'warc', 'b', 0, 'done'),
              (3, '/data/crawler/c.warc.gz', 'warc', 'c', 0, 'done'), (4, 'samples/crawl.warc.gz', 'warc', 'd', 0, 'done');
            """)
        let moved = try store.relocate(from: "/data/crawl/", to: "/mnt/crawl")
        #expect(moved.map(\.to) == ["/mnt/crawl/a.warc.gz", "/mnt/crawl/sub/b.warc.gz"], "not /data/crawler: a prefix is a folder")
        #expect(try store.relocate(from: "samples/crawl.warc.gz", to: "/x/crawl.warc.gz").map(\.to) == ["/x/crawl.warc.gz"])
        #expect(try store.relocate(from: "/nowhere", to: "/x").isEmpty)
        #expect(try store.sources().map(\.path) == ["/mnt/crawl/a.warc.gz", "/mnt/crawl/sub/b.warc.gz", "/data/crawler/c.warc.gz", "/x/crawl.warc.gz"])
    }
}
