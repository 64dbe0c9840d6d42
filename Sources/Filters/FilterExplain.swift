import Catalog
import Foundation

/// `curate filter --explain`: what the last run decided about one image or pair, and why.
public enum FilterExplain {
    /// `target` is `image:ID`, `pair:ID`, a bare number (an image id), or an image URL.
    public static func explain(workDirectory: String, target: String) throws -> String {
        let path = workDirectory + "/catalog.sqlite"
        guard FileManager.default.fileExists(atPath: path) else { throw FilterError.noCatalog(path: path) }
        do {
            let db = try SQLiteDatabase(path: path)
            try FilterCatalog.createTables(db)
            let run = try db.query("SELECT value FROM meta WHERE key = 'filter.run'").first?.first
            var out = run == nil ? "curate filter has not run on this catalog yet: no decisions to explain\n" : ""
            if target.hasPrefix("pair:"), let id = Int64(target.dropFirst(5)) {
                return out + (try pair(id, db))
            }
            var imageID: Int64?
            if target.hasPrefix("image:") { imageID = Int64(target.dropFirst(6)) } else if let id = Int64(target) { imageID = id }
            else {
                imageID = try db.query("SELECT id FROM images WHERE url = ? UNION SELECT image_id FROM image_urls WHERE url = ? LIMIT 1",
                                       [.text(target), .text(target)]).first.flatMap { row -> Int64? in if case .integer(let v) = row[0] { v } else { nil } }
            }
            guard let imageID else { throw FilterError.notFound(target) }
            out += try image(imageID, db)
            return out
        } catch let error as SQLiteError {
            throw FilterError.catalog(error.description)
        }
    }

    private static func decision(_ item: String, _ id: Int64, _ db: SQLiteDatabase) throws -> String {
        let row = try db.query("SELECT rule, detail FROM filter_decisions WHERE item = ? AND id = ?", [.text(item), .integer(id)]).first
        guard let row, case .text(let rule) = row[0] else { return "kept" }
        if case .text(let detail) = row[1] { return "dropped by \(rule): \(detail)" }
        return "dropped by \(rule)"
    }

    private static func text(_ value: SQLiteDatabase.Value?) -> String {
        switch value {
        case .text(let s)?: s
        case .integer(let v)?: String(v)
        case .real(let v)?: String(v)
        default: "-"
        }
    }

    private static func image(_ id: Int64, _ db: SQLiteDatabase) throws -> String {
        guard let row = try db.query("SELECT url, format, width, height, bytes, sha256 FROM images WHERE id = ?", [.integer(id)]).first else {
            throw FilterError.notFound("image \(id)")
        }
        var out = "image \(id): \(text(row[0]))\n  \(text(row[1])) \(text(row[2]))x\(text(row[3])), \(text(row[4])) bytes, sha256 \(text(row[5]))\n"
        if let feature = try db.query("SELECT phash, status, detail FROM image_features WHERE image_id = ?", [.integer(id)]).first {
            if case .integer(let hash) = feature[0] { out += "  pHash \(String(format: "%016llx", UInt64(bitPattern: hash)))\n" }
            else { out += "  not hashed: \(text(feature[1])) \(text(feature[2]))\n" }
        }
        let urls = try db.query("SELECT url FROM image_urls WHERE image_id = ? ORDER BY url", [.integer(id)]).map { text($0[0]) }
        if urls.count > 1 { out += "  \(urls.count) URLs with these bytes: \(urls.prefix(5).joined(separator: ", "))\(urls.count > 5 ? ", …" : "")\n" }
        out += "  decision: \(try decision("image", id, db))\n"
        let pairs = try db.query("SELECT id FROM pairs WHERE image_id = ? ORDER BY id LIMIT 21", [.integer(id)])
        out += "  \(pairs.count > 20 ? "first 20 of its" : "its \(pairs.count)") pairs:\n"
        for pair in pairs.prefix(20) {
            if case .integer(let p) = pair[0] { out += try self.pair(p, db).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n" }
        }
        return out
    }

    private static func pair(_ id: Int64, _ db: SQLiteDatabase) throws -> String {
        guard let row = try db.query("SELECT p.text, p.text_source, p.image_id, g.url FROM pairs p JOIN pages g ON g.id = p.page_id WHERE p.id = ?",
                                     [.integer(id)]).first else { throw FilterError.notFound("pair \(id)") }
        return "pair \(id): \(text(row[1])) \"\(text(row[0]))\" (image \(text(row[2])), page \(text(row[3])))\n  decision: \(try decision("pair", id, db))\n"
    }
}
