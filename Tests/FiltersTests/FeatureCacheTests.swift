import Catalog
import CurateCore
import Foundation
import Testing
import TestSupport
@testable import Filters

/// image_features as a cache: a catalog filtered by a version without colour signatures gains the
/// column, its images are hashed again, and the decisions equal a fresh catalog's.
@Suite struct FeatureCacheTests {
    static func decisions(_ folder: String) throws -> [[SQLiteDatabase.Value]] {
        try SQLiteDatabase(path: folder + "/catalog.sqlite").query("SELECT item, id, rule, detail, check_name, related_image_id, eval_path, distance, color_distance FROM filter_decisions ORDER BY item, id")
    }

    @Test func catalogsWithoutSignaturesAreHashedAgain() throws {
        let (_, fresh) = try SampleCatalog.run()
        let (_, old) = try SampleCatalog.run()
        defer { for f in [fresh, old] { try? FileManager.default.removeItem(atPath: f) } }
        // A catalog of a curate before colour signatures: schema version 0, without the column
        // and without what version 2 added.
        let db = try SQLiteDatabase(path: old + "/catalog.sqlite")
        try db.execute("""
            ALTER TABLE image_features DROP COLUMN signature;
            DELETE FROM filter_decisions;
            DROP INDEX filter_decisions_check; DROP VIEW kept_images;
            ALTER TABLE filter_decisions DROP COLUMN check_name; ALTER TABLE filter_decisions DROP COLUMN related_image_id;
            ALTER TABLE filter_decisions DROP COLUMN eval_path; ALTER TABLE filter_decisions DROP COLUMN distance;
            ALTER TABLE filter_decisions DROP COLUMN color_distance;
            PRAGMA user_version = 0;
            """)
        _ = try SampleCatalog.run(work: old)
        let missing = try db.query("SELECT count(*) FROM image_features WHERE phash IS NOT NULL AND signature IS NULL")
        #expect(missing.first?.first == .integer(0), "every hashed image has its signature again")
        #expect(try Self.decisions(old) == Self.decisions(fresh))
        let stored = try db.query("SELECT signature FROM image_features WHERE signature IS NOT NULL LIMIT 1")
        guard case .text(let hex)? = stored.first?.first else { Issue.record("no signature stored"); return }
        #expect(hex.count == 384 && Hex.decode(hex).map(Hex.encode) == hex, "192 bytes as hex, read back exactly")
    }
}
