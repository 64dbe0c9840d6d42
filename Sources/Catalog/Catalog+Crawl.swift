// The reads of crawl-dump's tables by later stages (filter, weak-pairs, build-shards), and where
// the dumps are. Each function names the stage that calls it.
import CurateCore
import Foundation

extension CatalogStore {
    // MARK: image bytes: where every stage finds them

    static let locationQuery = "SELECT i.id, s.path, i.path, i.codec, i.offset, i.length FROM images i JOIN sources s ON s.id = i.source_id"

    static func location(_ row: SQLiteDatabase.Row) -> StoredImageLocation {
        StoredImageLocation(sourcePath: row.text(1) ?? "", mirrorPath: row.text(2), codec: row.text(3) ?? "", offset: row.integer(4), length: row.integer(5))
    }

    /// Every image's location in its dump, by image id.
    public func imageLocations() throws -> [Int64: StoredImageLocation] {
        var out: [Int64: StoredImageLocation] = [:]
        try db.forEach(Self.locationQuery) { out[$0.integer(0)] = Self.location($0) }
        return out
    }

    /// One image's location, or nil when the catalog has no such image.
    public func imageLocation(_ id: Int64) throws -> StoredImageLocation? {
        var out: StoredImageLocation?
        try db.forEach(Self.locationQuery + " WHERE i.id = ?", [.integer(id)]) { out = Self.location($0) }
        return out
    }

    /// The dumps crawl-dump read: id, path, kind, status.
    public func sources() throws -> [(id: Int64, path: String, kind: String, status: String)] {
        var out: [(Int64, String, String, String)] = []
        try db.forEach("SELECT id, path, kind, status FROM sources ORDER BY id") { out.append(($0.integer(0), $0.text(1) ?? "", $0.text(2) ?? "", $0.text(3) ?? "")) }
        return out
    }

    /// `curate relocate`: points the sources at `old` (a dump file, a mirror folder, or a folder
    /// holding them) to the same path under `new`, in one transaction. `old` matches a stored path
    /// as given or made absolute (catalogs of curate before schema version 2 stored paths as
    /// crawl-dump was given them). Returns the paths changed.
    public func relocate(from old: String, to new: String) throws -> [(from: String, to: String)] {
        let new = CatalogPaths.absolute(new)
        var changes: [(Int64, String, String)] = []
        for source in try sources() {
            for old in Set([old, CatalogPaths.absolute(old)]) {
                let folder = old.hasSuffix("/") ? String(old.dropLast()) : old
                if source.path == folder {
                    changes.append((source.id, source.path, new))
                } else if source.path.hasPrefix(folder + "/") {
                    changes.append((source.id, source.path, new + source.path.dropFirst(folder.count)))
                } else { continue }
                break
            }
        }
        try db.execute("BEGIN IMMEDIATE")
        do {
            for (id, _, path) in changes { try db.query("UPDATE sources SET path = ? WHERE id = ?", [.text(path), .integer(id)]) }
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
        return changes.map { ($0.1, $0.2) }
    }

    // MARK: filter's reads

    /// filter: every image's id and header size, in id order.
    public func forEachImageSize(_ body: (_ id: Int64, _ width: Int64, _ height: Int64, _ sha256: String) throws -> Void) throws {
        try db.forEach("SELECT id, width, height, sha256 FROM images ORDER BY id") { try body($0.integer(0), $0.integer(1), $0.integer(2), $0.text(3) ?? "") }
    }

    /// filter: every pair's id, image and text, in id order.
    public func forEachPairText(_ body: (_ id: Int64, _ imageID: Int64, _ text: String) throws -> Void) throws {
        try db.forEach("SELECT id, image_id, text FROM pairs ORDER BY id") { try body($0.integer(0), $0.integer(1), $0.text(2) ?? "") }
    }

    /// curate metadata: every page sentence's text.
    public func forEachSentenceText(_ body: (_ text: String) throws -> Void) throws {
        try db.forEach("SELECT text FROM sentences ORDER BY id") { try body($0.text(0) ?? "") }
    }

    /// filter: every URL of every image (the first URL it was captured at, then its other names).
    public func forEachImageURL(_ body: (_ imageID: Int64, _ url: String) throws -> Void) throws {
        try db.forEach("SELECT id, url FROM images WHERE url IS NOT NULL UNION ALL SELECT image_id, url FROM image_urls") {
            try body($0.integer(0), $0.text(1) ?? "")
        }
    }

    /// filter: every page's id, URL and title.
    public func forEachPage(_ body: (_ id: Int64, _ url: String?, _ title: String?) throws -> Void) throws {
        try db.forEach("SELECT id, url, title FROM pages") { try body($0.integer(0), $0.text(1), $0.text(2)) }
    }

    /// filter: pages with at least `minimum` sentences matching the FTS5 query `match`.
    public func pagesWithSentences(matching match: String, minimum: Int) throws -> [(page: Int64, sentences: Int)] {
        try indexSentences()
        var out: [(Int64, Int)] = []
        try db.forEach("""
            SELECT s.page_id, count(*) FROM sentences_fts JOIN sentences s ON s.id = sentences_fts.rowid
            WHERE sentences_fts MATCH ? GROUP BY s.page_id HAVING count(*) >= ?
            """, [.text(match), .integer(Int64(minimum))]) { out.append(($0.integer(0), Int($0.integer(1)))) }
        return out
    }

    /// filter: (page, image) of every resolved reference.
    public func forEachResolvedReference(_ body: (_ page: Int64, _ image: Int64) throws -> Void) throws {
        try db.forEach("SELECT page_id, image_id FROM refs WHERE image_id IS NOT NULL") { try body($0.integer(0), $0.integer(1)) }
    }

    /// filter: references whose image the dumps do not hold.
    public func missingReferenceCount() throws -> Int {
        try count("SELECT count(*) FROM refs WHERE status = 'missing'")
    }

    /// filter: URLs with identical bytes that crawl-dump merged, and the images they became.
    public func mergedURLs() throws -> (urls: Int, images: Int) {
        let row = try db.query("SELECT count(*), count(DISTINCT image_id) FROM image_urls WHERE image_id IN (SELECT image_id FROM image_urls GROUP BY image_id HAVING count(*) > 1)").first
        if case .integer(let urls)? = row?.first, case .integer(let images)? = row?.last { return (Int(urls), Int(images)) }
        return (0, 0)
    }

    /// filter (decontamination.jsonl), report: an image's URL.
    public func imageURL(_ id: Int64) throws -> String? {
        if case .text(let url)? = try db.query("SELECT url FROM images WHERE id = ?", [.integer(id)]).first?.first { return url }
        return nil
    }

    // MARK: filter --explain

    public struct ImageFacts: Sendable {
        public var url: String?, format: String, width: Int64, height: Int64, bytes: Int64, sha256: String
        /// All URLs with these bytes, sorted.
        public var urls: [String]
        /// The first `limit + 1` pair ids, so a caller can tell there are more.
        public var pairs: [Int64]
    }

    public func imageFacts(_ id: Int64, pairLimit: Int) throws -> ImageFacts? {
        var facts: ImageFacts?
        try db.forEach("SELECT url, format, width, height, bytes, sha256 FROM images WHERE id = ?", [.integer(id)]) { row in
            facts = ImageFacts(url: row.text(0), format: row.text(1) ?? "", width: row.integer(2), height: row.integer(3), bytes: row.integer(4),
                               sha256: row.text(5) ?? "", urls: [], pairs: [])
        }
        guard var facts else { return nil }
        try db.forEach("SELECT url FROM image_urls WHERE image_id = ? ORDER BY url", [.integer(id)]) { facts.urls.append($0.text(0) ?? "") }
        try db.forEach("SELECT id FROM pairs WHERE image_id = ? ORDER BY id LIMIT ?", [.integer(id), .integer(Int64(pairLimit + 1))]) { facts.pairs.append($0.integer(0)) }
        return facts
    }

    /// The image crawl-dump captured at `url` (first URL or another name), if any.
    public func imageID(url: String) throws -> Int64? {
        if case .integer(let id)? = try db.query("SELECT id FROM images WHERE url = ? UNION SELECT image_id FROM image_urls WHERE url = ? LIMIT 1",
                                                [.text(url), .text(url)]).first?.first { return id }
        return nil
    }

    public struct PairFacts: Sendable {
        public var text: String, source: String, imageID: Int64, pageURL: String
    }

    public func pairFacts(_ id: Int64) throws -> PairFacts? {
        var facts: PairFacts?
        try db.forEach("SELECT p.text, p.text_source, p.image_id, g.url FROM pairs p JOIN pages g ON g.id = p.page_id WHERE p.id = ?", [.integer(id)]) { row in
            facts = PairFacts(text: row.text(0) ?? "", source: row.text(1) ?? "", imageID: row.integer(2), pageURL: row.text(3) ?? "")
        }
        return facts
    }
}

/// How the catalog stores dump paths: absolute and standardised, so every stage finds the dumps
/// from any folder.
public enum CatalogPaths {
    public static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var standard = (full as NSString).standardizingPath
        if standard.count > 1 && standard.hasSuffix("/") { standard.removeLast() }
        return standard
    }
}

extension CatalogStore {
    /// The locations of the images `ids` (filter hashes images in batches).
    public func imageLocations(ids: [Int64]) throws -> [Int64: StoredImageLocation] {
        var out: [Int64: StoredImageLocation] = [:]
        let list = ids.map(String.init).joined(separator: ",")
        try db.forEach(Self.locationQuery + " WHERE i.id IN (\(list))") { out[$0.integer(0)] = Self.location($0) }
        return out
    }
}
