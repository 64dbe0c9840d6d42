// What a unit's catalog tells the engine so that later stages give the numbers one catalog of
// the whole crawl would (README: "Running on a cluster"). One catalog numbers pages, references,
// pairs and sentences in crawl order, and images in the order of their first capture; a unit
// holds a consecutive part of the crawl, so a row's number in one catalog is the unit's offset
// (the rows of the units before it) plus its number in the unit. Images are numbered by the
// engine: the first capture of each SHA-256 over the units in order.
import CurateCore
import Foundation

/// The highest row id of each numbered table: the rows a unit adds to the offsets of the next.
public struct UnitCounts: Codable, Sendable, Equatable {
    public var pages: Int64, refs: Int64, pairs: Int64, sentences: Int64

    public init(pages: Int64 = 0, refs: Int64 = 0, pairs: Int64 = 0, sentences: Int64 = 0) {
        self.pages = pages; self.refs = refs; self.pairs = pairs; self.sentences = sentences
    }
}

extension StoredImageLocation: Codable {
    enum CodingKeys: String, CodingKey { case sourcePath = "source", mirrorPath = "path", codec, offset, length }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(sourcePath: try c.decode(String.self, forKey: .sourcePath), mirrorPath: try c.decodeIfPresent(String.self, forKey: .mirrorPath),
                  codec: try c.decode(String.self, forKey: .codec), offset: try c.decode(Int64.self, forKey: .offset), length: try c.decode(Int64.self, forKey: .length))
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sourcePath, forKey: .sourcePath)
        try c.encodeIfPresent(mirrorPath, forKey: .mirrorPath)
        try c.encode(codec, forKey: .codec)
        try c.encode(offset, forKey: .offset)
        try c.encode(length, forKey: .length)
    }
}

extension CatalogStore {
    /// The unit's row counts (its highest ids: crawl-dump numbers rows from 1 without gaps).
    public func unitCounts() throws -> UnitCounts {
        func top(_ table: String) throws -> Int64 {
            if case .integer(let n)? = try db.query("SELECT coalesce(max(id), 0) FROM \(table)").first?.first { return n }
            return 0
        }
        return UnitCounts(pages: try top("pages"), refs: try top("refs"), pairs: try top("pairs"), sentences: try top("sentences"))
    }

    /// Images captured in this unit's own dumps (not another unit's, imported by the link), by id:
    /// the engine numbers each SHA-256 by its first capture over the units.
    public func forEachCapturedImage(_ body: (_ id: Int64, _ sha256: String, _ url: String?) throws -> Void) throws {
        try db.forEach("SELECT i.id, i.sha256, i.url FROM images i JOIN sources s ON s.id = i.source_id WHERE s.status <> 'other_unit' ORDER BY i.id") {
            try body($0.integer(0), $0.text(1) ?? "", $0.text(2))
        }
    }

    /// Every image the unit holds with its first reference (lowest ref id) and that reference's page URL, if any.
    public func forEachImageFirstReference(_ body: (_ sha256: String, _ refID: Int64?, _ pageURL: String?) throws -> Void) throws {
        try db.forEach("""
            SELECT i.sha256, (SELECT min(r.id) FROM refs r WHERE r.image_id = i.id) AS first,
                   (SELECT g.url FROM refs r JOIN pages g ON g.id = r.page_id WHERE r.image_id = i.id ORDER BY r.id LIMIT 1)
            FROM images i ORDER BY i.id
            """) { try body($0.text(0) ?? "", $0.isNull(1) ? nil : $0.integer(1), $0.text(2)) }
    }

    /// build-shards over units: every kept pair with its image's SHA-256, size and location.
    public func forEachKeptPairWithImage(_ body: (_ id: Int64, _ sha256: String, _ width: Int, _ height: Int, _ text: String, _ source: String,
                                                  _ pageURL: String, _ location: StoredImageLocation, _ language: SampleLanguage) throws -> Void) throws {
        try db.forEach("""
            SELECT p.id, i.sha256, i.width, i.height, p.text, p.text_source, g.url, s.path, i.path, i.codec, i.offset, i.length, t.language, t.confidence, g.language
            FROM kept_pairs p JOIN pages g ON g.id = p.page_id JOIN images i ON i.id = p.image_id JOIN sources s ON s.id = i.source_id
            LEFT JOIN text_languages t ON t.pair_id = p.id ORDER BY p.id
            """) { r in
            try body(r.integer(0), r.text(1) ?? "", Int(r.integer(2)), Int(r.integer(3)), r.text(4) ?? "", r.text(5) ?? "alt", r.text(6) ?? "",
                     StoredImageLocation(sourcePath: r.text(7) ?? "", mirrorPath: r.text(8), codec: r.text(9) ?? "", offset: r.integer(10), length: r.integer(11)),
                     SampleLanguage(language: r.text(12), confidence: r.isNull(13) ? nil : r.real(13), declared: r.text(14)))
        }
    }

    /// One kept image's size and location, by SHA-256 (weak pairs' samples), or nil.
    public func keptImage(sha256: String) throws -> (width: Int, height: Int, location: StoredImageLocation)? {
        var out: (Int, Int, StoredImageLocation)?
        try db.forEach("""
            SELECT i.width, i.height, s.path, i.path, i.codec, i.offset, i.length FROM kept_images i JOIN sources s ON s.id = i.source_id WHERE i.sha256 = ?
            """, [.text(sha256)]) { r in
            out = (Int(r.integer(0)), Int(r.integer(1)),
                   StoredImageLocation(sourcePath: r.text(2) ?? "", mirrorPath: r.text(3), codec: r.text(4) ?? "", offset: r.integer(5), length: r.integer(6)))
        }
        return out
    }

    /// weak-pairs over units: the kept images' contexts as `keptImagesForWeakPairs` reads them,
    /// with whether the unit keeps an alt-text pair of each, every image's references in id order.
    public func forEachKeptImageContext(_ body: (_ context: KeptImageContext, _ hasKeptAlt: Bool, _ refs: [(id: Int64, page: Int64)]) throws -> Void) throws {
        var images: [KeptImageContext] = [], alt: [Bool] = [], refs: [[(Int64, Int64)]] = [], index: [Int64: Int] = [:]
        try db.forEach("""
            SELECT id, url, sha256, EXISTS (SELECT 1 FROM kept_pairs p WHERE p.image_id = kept_images.id AND p.text_source = 'alt')
            FROM kept_images ORDER BY id
            """) { row in
            index[row.integer(0)] = images.count
            images.append(KeptImageContext(imageID: row.integer(0), urls: [], sha256: row.text(2) ?? ""))
            alt.append(row.integer(3) != 0)
            refs.append([])
        }
        try db.forEach("SELECT image_id, url FROM image_urls ORDER BY url") { row in
            if let i = index[row.integer(0)], let url = row.text(1), !images[i].urls.contains(url) { images[i].urls.append(url) }
        }
        try db.forEach("SELECT image_id, page_id, title, figcaption, id FROM refs WHERE image_id IS NOT NULL ORDER BY id") { row in
            guard let i = index[row.integer(0)] else { return }
            images[i].pages.insert(row.integer(1))
            refs[i].append((row.integer(4), row.integer(1)))
            // Titles and figcaptions per reference, in order (the engine merges units in reference order).
            images[i].titles.append(row.text(2) ?? "")
            images[i].figcaptions.append(row.text(3) ?? "")
        }
        for i in images.indices { try body(images[i], alt[i], refs[i]) }
    }

    /// build-shards' text pairs over units: the sentences with a next one, with both texts.
    public func forEachSentenceAndNext(_ body: (_ id: Int64, _ text: String, _ next: String) throws -> Void) throws {
        try db.forEach("SELECT a.id, a.text, b.text FROM sentences a JOIN sentences b ON b.page_id = a.page_id AND b.seq = a.seq + 1 ORDER BY a.id") {
            try body($0.integer(0), $0.text(1) ?? "", $0.text(2) ?? "")
        }
    }
}
