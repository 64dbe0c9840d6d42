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
        try SQLiteDatabase(path: folder + "/catalog.sqlite").query("SELECT item, id, rule, detail FROM filter_decisions ORDER BY item, id")
    }

    @Test func catalogsWithoutSignaturesAreHashedAgain() throws {
        let (_, fresh) = try SampleCatalog.run()
        let (_, old) = try SampleCatalog.run()
        defer { for f in [fresh, old] { try? FileManager.default.removeItem(atPath: f) } }
        let db = try SQLiteDatabase(path: old + "/catalog.sqlite")
        try db.execute("ALTER TABLE image_features DROP COLUMN signature")
        try db.execute("DELETE FROM filter_decisions")
        _ = try SampleCatalog.run(work: old)
        let missing = try db.query("SELECT count(*) FROM image_features WHERE phash IS NOT NULL AND signature IS NULL")
        #expect(missing.first?.first == .integer(0), "every hashed image has its signature again")
        #expect(try Self.decisions(old) == Self.decisions(fresh))
        let stored = try db.query("SELECT signature FROM image_features WHERE signature IS NOT NULL LIMIT 1")
        guard case .text(let hex)? = stored.first?.first else { Issue.record("no signature stored"); return }
        #expect(hex.count == 384 && Hex.decode(hex).map(Hex.encode) == hex, "192 bytes as hex, read back exactly")
    }
}
