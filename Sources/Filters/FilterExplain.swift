import Catalog
import Foundation

/// `curate filter --explain`: what the last run decided about one image or pair, and why.
public enum FilterExplain {
    /// `target` is `image:ID`, `pair:ID`, a bare number (an image id), or an image URL.
    public static func explain(workDirectory: String, target: String) throws -> String {
        let path = workDirectory + "/catalog.sqlite"
        guard FileManager.default.fileExists(atPath: path) else { throw FilterError.noCatalog(path: path) }
        do {
            let store = try CatalogStore(path: path)
            var out = try store.lastFilterRun() == nil ? "curate filter has not run on this catalog yet: no decisions to explain\n" : ""
            if target.hasPrefix("pair:"), let id = Int64(target.dropFirst(5)) {
                return out + (try pair(id, store))
            }
            var imageID: Int64?
            if target.hasPrefix("image:") { imageID = Int64(target.dropFirst(6)) } else if let id = Int64(target) { imageID = id }
            else { imageID = try store.imageID(url: target) }
            guard let imageID else { throw FilterError.notFound(target) }
            out += try image(imageID, store)
            return out
        } catch let error as CatalogError {
            throw FilterError.catalogRefused(error.description)
        } catch let error as SQLiteError {
            throw FilterError.catalog(error.description)
        }
    }

    private static func decision(_ item: FilterDecision.Item, _ id: Int64, _ store: CatalogStore) throws -> String {
        guard let decision = try store.decision(item, id) else { return "kept" }
        if let detail = decision.detail.text { return "dropped by \(decision.rule): \(detail)" }
        return "dropped by \(decision.rule)"
    }

    private static func image(_ id: Int64, _ store: CatalogStore) throws -> String {
        let limit = 20
        guard let facts = try store.imageFacts(id, pairLimit: limit) else { throw FilterError.notFound("image \(id)") }
        var out = "image \(id): \(facts.url ?? "-")\n  \(facts.format) \(facts.width)x\(facts.height), \(facts.bytes) bytes, sha256 \(facts.sha256)\n"
        if let feature = try store.imageFeature(id) {
            if let hash = feature.phash { out += "  pHash \(String(format: "%016llx", hash))\n" }
            else { out += "  not hashed: \(feature.status) \(feature.detail ?? "-")\n" }
        }
        let urls = facts.urls
        if urls.count > 1 { out += "  \(urls.count) URLs with these bytes: \(urls.prefix(5).joined(separator: ", "))\(urls.count > 5 ? ", …" : "")\n" }
        out += "  decision: \(try decision(.image, id, store))\n"
        out += "  \(facts.pairs.count > limit ? "first \(limit) of its" : "its \(facts.pairs.count)") pairs:\n"
        for pair in facts.pairs.prefix(limit) {
            out += try self.pair(pair, store).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
        }
        return out
    }

    private static func pair(_ id: Int64, _ store: CatalogStore) throws -> String {
        guard let facts = try store.pairFacts(id) else { throw FilterError.notFound("pair \(id)") }
        var out = "pair \(id): \(facts.source) \"\(facts.text)\" (image \(facts.imageID), page \(facts.pageURL))\n"
        if let language = try store.pairLanguage(id) {
            out += String(format: "  language %@ (CLD2, confidence %.2f)", language.language, language.confidence)
            out += language.declared.map { ", the page declares \($0)" } ?? ", the page declares none"
            out += "\n"
        }
        return out + "  decision: \(try decision(.pair, id, store))\n"
    }
}

extension CatalogStore {
    /// filter's own pHash cache row for an image (filter reads its own table here).
    func imageFeature(_ id: Int64) throws -> (phash: UInt64?, status: String, detail: String?)? {
        var out: (UInt64?, String, String?)?
        try db.forEach("SELECT phash, status, detail FROM image_features WHERE image_id = ?", [.integer(id)]) { row in
            out = (row.isNull(0) ? nil : UInt64(bitPattern: row.integer(0)), row.text(1) ?? "", row.text(2))
        }
        return out
    }
}
