import Catalog
import CurateCore
import Foundation

/// References across units. A unit (a dump file or a group of files, crawled into its own
/// catalog) resolves its references among its own records; a page may still use an image whose
/// record is in another unit (a logo fetched once for a whole crawl; Common Crawl's pages with the
/// images `curate fetch` wrote into files of their own). After crawling, each unit lists what it
/// offers (`offers.jsonl`: every image URL and redirect it holds) and what it wants (`wants.jsonl`:
/// the URL keys of its unresolved references, and where its own redirects lead from them). The
/// engine joins wants with the other units' offers (redirects first, then images at the redirects'
/// targets too) and hands each unit its imports; `importOffers` adds them (the image stays in the
/// other unit's dump, read there) and resolves again.
///
/// The rule, the same as one catalog's when each URL was captured once: a reference takes its
/// first candidate URL that names an image, directly or through one redirect. When a URL was
/// captured in several units with different bytes, the reference's own unit's capture comes
/// first, then the other units' in unit order (one catalog takes the first in file order).
public enum UnitLink {
    /// One line of offers.jsonl or of a unit's imports.
    public struct Offer: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable { case image, redirect }
        public var kind: Kind
        /// The unit that holds it and its row there: the order of imports.
        public var unit: String
        public var row: Int64
        public var key: String
        public var url: String
        // kind image: the image and where its bytes are.
        public var sha256: String?
        public var format: String?
        public var width: Int?, height: Int?, bytes: Int?
        public var imageURL: String?
        public var via: String?
        public var digest: String?
        public var source: Source?
        public var path: String?
        public var codec: String?
        public var offset: Int64?, length: Int64?
        // kind redirect
        public var targetURL: String?, targetKey: String?, status: Int?

        public struct Source: Codable, Sendable, Equatable {
            public var path: String, kind: String, sha256: String, bytes: Int64
        }

        enum CodingKeys: String, CodingKey {
            case kind, unit, row, key, url, sha256, format, width, height, bytes, via, digest, source, path, codec, offset, length, status
            case imageURL = "image_url", targetURL = "target_url", targetKey = "target_key"
        }
    }

    /// One line of wants.jsonl: a URL key the unit's references could not find in it.
    public struct Want: Codable, Sendable, Equatable {
        public var key: String
        public var unit: String
    }

    /// Reads JSON lines of `T`; a line that is not one names the file and the line.
    public static func decodeLines<T: Decodable>(_ type: T.Type, path: String) throws -> [T] {
        do { return try JSONLines.read(type, path: path) } catch let error as JSONLines.Failure { throw CrawlError.unit(error.description) }
    }

    /// Writes FOLDER/offers.jsonl and FOLDER/wants.jsonl for the unit's catalog at `catalogPath`.
    public static func export(catalogPath: String, unit: String, to folder: String) throws -> (offers: Int, wants: Int) {
        let store = try CatalogStore(path: catalogPath)
        let db = store.db
        var offers: [Offer] = []
        try db.forEach("""
            SELECT u.rowid, u.url_key, u.url, i.sha256, i.format, i.width, i.height, i.bytes, i.url, u.via, u.payload_digest,
                   s.path, s.kind, s.sha256, s.bytes, i.path, i.codec, i.offset, i.length
            FROM image_urls u JOIN images i ON i.id = u.image_id JOIN sources s ON s.id = i.source_id ORDER BY u.rowid
            """) { r in
            offers.append(Offer(kind: .image, unit: unit, row: r.integer(0), key: r.text(1) ?? "", url: r.text(2) ?? "",
                                sha256: r.text(3), format: r.text(4), width: Int(r.integer(5)), height: Int(r.integer(6)), bytes: Int(r.integer(7)),
                                imageURL: r.text(8), via: r.text(9), digest: r.text(10),
                                source: Offer.Source(path: r.text(11) ?? "", kind: r.text(12) ?? "", sha256: r.text(13) ?? "", bytes: r.integer(14)),
                                path: r.text(15), codec: r.text(16), offset: r.integer(17), length: r.integer(18)))
        }
        try db.forEach("SELECT rowid, url_key, url, target_url, target_key, status FROM redirects ORDER BY rowid") { r in
            offers.append(Offer(kind: .redirect, unit: unit, row: r.integer(0), key: r.text(1) ?? "", url: r.text(2) ?? "",
                                targetURL: r.text(3), targetKey: r.text(4), status: r.isNull(5) ? nil : Int(r.integer(5))))
        }
        var keys = Set<String>()
        try db.forEach("""
            SELECT c.url_key FROM refs r JOIN ref_candidates c ON c.ref_id = r.id WHERE r.status = 'missing'
            UNION SELECT d.target_key FROM refs r JOIN ref_candidates c ON c.ref_id = r.id JOIN redirects d ON d.url_key = c.url_key
            WHERE r.status = 'missing'
            """) { if let key = $0.text(0) { keys.insert(key) } }
        let wants = keys.sorted().map { Want(key: $0, unit: unit) }
        try AtomicFile.write(try JSONLines.encode(offers), to: folder + "/offers.jsonl")
        try AtomicFile.write(try JSONLines.encode(wants), to: folder + "/wants.jsonl")
        return (offers.count, wants.count)
    }

    /// Adds another unit's images and redirects to this unit's catalog and resolves its references
    /// again, in one transaction with the imports' digest in `meta`: run twice with the same
    /// imports, the second changes nothing; killed, nothing of it is kept.
    public static func importOffers(catalogPath: String, offers: [Offer], digest: String) throws -> (images: Int, redirects: Int, resolved: Int) {
        let catalog = try CrawlCatalog(path: catalogPath)
        let store = catalog.store, db = store.db
        if try store.meta(.unitLinkImports) == digest { return (0, 0, try resolvedCount(db)) }
        try db.execute("BEGIN IMMEDIATE")
        do {
            // Rows of an earlier import (other imports, or none) go first: the result depends on these imports only.
            try db.execute("""
                DELETE FROM image_urls WHERE via LIKE 'unit:%';
                DELETE FROM redirects WHERE source_id IN (SELECT id FROM sources WHERE status = 'other_unit');
                DELETE FROM images WHERE source_id IN (SELECT id FROM sources WHERE status = 'other_unit')
                  AND id NOT IN (SELECT image_id FROM image_urls);
                DELETE FROM sources WHERE status = 'other_unit' AND id NOT IN (SELECT source_id FROM images);
                """)
            let ordered = offers.sorted { ($0.unit, $0.row, $0.kind.rawValue) < ($1.unit, $1.row, $1.kind.rawValue) }
            var images = 0, redirects = 0
            for offer in ordered {
                switch offer.kind {
                case .image:
                    guard let source = offer.source, let sha = offer.sha256 else { continue }
                    let sourceID = try sourceRow(db, source)
                    try db.query("INSERT OR IGNORE INTO images (sha256, format, width, height, bytes, source_id, path, codec, offset, length, url) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                                 [.text(sha), .text(offer.format ?? ""), .integer(Int64(offer.width ?? 0)), .integer(Int64(offer.height ?? 0)),
                                  .integer(Int64(offer.bytes ?? 0)), .integer(sourceID), CrawlCatalog.text(offer.path), .text(offer.codec ?? ""),
                                  .integer(offer.offset ?? 0), .integer(offer.length ?? 0), CrawlCatalog.text(offer.imageURL)])
                    try db.query("INSERT INTO image_urls (url_key, url, image_id, source_id, via, payload_digest) SELECT ?, ?, id, ?, ?, ? FROM images WHERE sha256 = ?",
                                 [.text(offer.key), .text(offer.url), .integer(sourceID), .text("unit:" + offer.unit), CrawlCatalog.text(offer.digest), .text(sha)])
                    images += 1
                case .redirect:
                    guard let target = offer.targetURL, let targetKey = offer.targetKey else { continue }
                    let sourceID = try sourceRow(db, Offer.Source(path: "unit:" + offer.unit, kind: "unit", sha256: "unit:" + offer.unit, bytes: 0))
                    try db.query("INSERT INTO redirects (url_key, url, target_url, target_key, status, source_id) VALUES (?,?,?,?,?,?)",
                                 [.text(offer.key), .text(offer.url), .text(target), .text(targetKey), CrawlCatalog.int(offer.status.map(Int64.init)), .integer(sourceID)])
                    redirects += 1
                }
            }
            try catalog.resolve()
            try store.setMeta(.unitLinkImports, digest)
            try db.execute("COMMIT")
            return (images, redirects, try resolvedCount(db))
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    /// The `sources` row of another unit's dump (status `other_unit`: this unit does not read it).
    private static func sourceRow(_ db: SQLiteDatabase, _ source: Offer.Source) throws -> Int64 {
        if case .integer(let id)? = try db.query("SELECT id FROM sources WHERE sha256 = ?", [.text(source.sha256)]).first?.first { return id }
        try db.query("INSERT INTO sources (path, kind, sha256, bytes, status) VALUES (?, ?, ?, ?, 'other_unit')",
                     [.text(source.path), .text(source.kind), .text(source.sha256), .integer(source.bytes)])
        return db.lastInsertRowID
    }

    private static func resolvedCount(_ db: SQLiteDatabase) throws -> Int {
        if case .integer(let n)? = try db.query("SELECT count(*) FROM refs WHERE status = 'resolved'").first?.first { return Int(n) }
        return 0
    }
}
