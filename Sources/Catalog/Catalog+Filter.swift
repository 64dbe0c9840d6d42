// filter's decisions, typed, and what the later stages read of them: the kept images and pairs
// (defined once, by the views `kept_images` and `kept_pairs`) and, for weak-pairs and
// build-shards, the kept images with their context.
import CurateCore
import Foundation

/// One dropped image or pair: the rule and its check, a sentence for people, and the fields a
/// reader needs (the report, the tests), so that nobody parses the sentence.
public struct FilterDecision: Sendable, Equatable {
    public enum Item: String, Sendable { case image, pair }

    /// What the rule found, beside its sentence.
    public struct Detail: Sendable, Equatable {
        public var text: String?
        /// near_duplicate: the image kept in its place; a pair dropped with its image: that image.
        public var relatedImageID: Int64?
        /// eval_near_duplicate: the eval image it is near.
        public var evalPath: String?
        /// pHash distance and colour distance, for the near-duplicate checks.
        public var distance: Int?
        public var colorDistance: Double?

        public init(_ text: String?, relatedImageID: Int64? = nil, evalPath: String? = nil, distance: Int? = nil, colorDistance: Double? = nil) {
            self.text = text; self.relatedImageID = relatedImageID; self.evalPath = evalPath; self.distance = distance; self.colorDistance = colorDistance
        }
    }

    public var item: Item
    public var id: Int64
    public var rule: String
    /// The check of the rule (filter's `Check` raw value: `near_duplicate`, `eval_near_duplicate`, …).
    public var check: String
    public var detail: Detail

    public init(item: Item, id: Int64, rule: String, check: String, detail: Detail) {
        self.item = item; self.id = id; self.rule = rule; self.check = check; self.detail = detail
    }
}

/// The check names readers look for (filter's `Check` has them all; these are the ones other
/// stages name).
public enum DecisionCheck {
    public static let nearDuplicate = "near_duplicate"
    public static let evalNearDuplicate = "eval_near_duplicate"
}

extension CatalogStore {
    // MARK: filter's writes (filter calls these inside its transaction)

    /// Replaces the previous run's decisions and decontamination list: `decisions` calls its
    /// argument once per decision, in order.
    public func replaceDecisions(decontamination: [(imageID: Int64, evalPath: String, distance: Int)],
                                 _ decisions: (_ add: (FilterDecision) throws -> Void) throws -> Void) throws {
        try db.execute("DELETE FROM filter_decisions; DELETE FROM decontamination")
        let insert = try db.prepare("""
            INSERT INTO filter_decisions (item, id, rule, detail, check_name, related_image_id, eval_path, distance, color_distance)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try decisions { d in
            try insert.run([.text(d.item.rawValue), .integer(d.id), .text(d.rule), d.detail.text.map { .text($0) } ?? .null, .text(d.check),
                            d.detail.relatedImageID.map { .integer($0) } ?? .null, d.detail.evalPath.map { .text($0) } ?? .null,
                            d.detail.distance.map { .integer(Int64($0)) } ?? .null, d.detail.colorDistance.map { .real($0) } ?? .null])
        }
        let listed = try db.prepare("INSERT INTO decontamination (image_id, eval_path, distance) VALUES (?, ?, ?)")
        for entry in decontamination { try listed.run([.integer(entry.imageID), .text(entry.evalPath), .integer(Int64(entry.distance))]) }
    }

    /// filter: replaces every pair's language (CLD2's code, confidence, reliable).
    public func replaceLanguages(_ rows: (_ add: (_ pairID: Int64, _ language: String, _ confidence: Double, _ reliable: Bool) throws -> Void) throws -> Void) throws {
        try db.execute("DELETE FROM text_languages")
        let insert = try db.prepare("INSERT INTO text_languages (pair_id, language, confidence, reliable) VALUES (?, ?, ?, ?)")
        try rows { id, language, confidence, reliable in
            try insert.run([.integer(id), .text(language), .real(confidence), .integer(reliable ? 1 : 0)])
        }
    }

    /// filter: replaces the metadata entries' counts.
    public func replaceMetadataEntries(_ rows: [MetadataEntryRow]) throws {
        try db.execute("DELETE FROM metadata_entries")
        let insert = try db.prepare("INSERT INTO metadata_entries (rule, entry_id, entry, matches, probability, reached, drawn, kept) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        for row in rows {
            try insert.run([.text(row.rule), .integer(Int64(row.entryID)), .text(row.entry), .integer(Int64(row.matches)), .real(row.probability),
                            .integer(Int64(row.reached)), .integer(Int64(row.drawn)), .integer(Int64(row.kept))])
        }
    }

    /// report: the metadata entries of the last filter run, most matched first.
    public func metadataEntries() throws -> [MetadataEntryRow] {
        var out: [MetadataEntryRow] = []
        try db.forEach("SELECT rule, entry_id, entry, matches, probability, reached, drawn, kept FROM metadata_entries ORDER BY matches DESC, entry_id") { row in
            out.append(MetadataEntryRow(rule: row.text(0) ?? "", entryID: Int(row.integer(1)), entry: row.text(2) ?? "", matches: Int(row.integer(3)),
                                        probability: row.real(4), reached: Int(row.integer(5)), drawn: Int(row.integer(6)), kept: Int(row.integer(7))))
        }
        return out
    }

    /// filter (`language_in`'s `when_unknown = "declared"`): each pair's page's declared language, in pair order.
    public func pairPageLanguages() throws -> [String?] {
        var out: [String?] = []
        try db.forEach("SELECT pages.language FROM pairs LEFT JOIN pages ON pages.id = pairs.page_id ORDER BY pairs.id") { out.append($0.text(0)) }
        return out
    }

    /// filter --explain: a pair's language as the last filter run identified it, and its page's.
    public func pairLanguage(_ pairID: Int64) throws -> (language: String, confidence: Double, declared: String?)? {
        var out: (String, Double, String?)?
        try db.forEach("""
            SELECT t.language, t.confidence, pages.language FROM text_languages t JOIN pairs ON pairs.id = t.pair_id
            LEFT JOIN pages ON pages.id = pairs.page_id WHERE t.pair_id = ?
            """, [.integer(pairID)]) { out = ($0.text(0) ?? "", $0.real(1), $0.text(2)) }
        return out
    }

    /// report: kept pairs per language.
    public func keptLanguages() throws -> [(language: String, pairs: Int)] {
        var out: [(String, Int)] = []
        try db.forEach("SELECT t.language, count(*) FROM text_languages t JOIN kept_pairs k ON k.id = t.pair_id GROUP BY t.language ORDER BY count(*) DESC, t.language") {
            out.append(($0.text(0) ?? "", Int($0.integer(1))))
        }
        return out
    }

    // MARK: reading decisions

    static let decisionColumns = "item, id, rule, check_name, detail, related_image_id, eval_path, distance, color_distance"
    /// The same columns of `filter_decisions d`, for joins.
    static let joinedDecisionColumns = decisionColumns.split(separator: ",").map { "d." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")

    static func decision(_ row: SQLiteDatabase.Row) -> FilterDecision {
        FilterDecision(item: FilterDecision.Item(rawValue: row.text(0) ?? "") ?? .image, id: row.integer(1), rule: row.text(2) ?? "",
                       check: row.text(3) ?? "",
                       detail: .init(row.text(4), relatedImageID: row.isNull(5) ? nil : row.integer(5), evalPath: row.text(6),
                                     distance: row.isNull(7) ? nil : Int(row.integer(7)), colorDistance: row.isNull(8) ? nil : row.real(8)))
    }

    /// The decision about one item, or nil when the last run kept it.
    public func decision(_ item: FilterDecision.Item, _ id: Int64) throws -> FilterDecision? {
        var out: FilterDecision?
        try db.forEach("SELECT \(Self.decisionColumns) FROM filter_decisions WHERE item = ? AND id = ?", [.text(item.rawValue), .integer(id)]) {
            out = Self.decision($0)
        }
        return out
    }

    /// Every decision, by item then id.
    public func decisions() throws -> [FilterDecision] {
        var out: [FilterDecision] = []
        try db.forEach("SELECT \(Self.decisionColumns) FROM filter_decisions ORDER BY item, id") { out.append(Self.decision($0)) }
        return out
    }

    /// How many images the last run dropped with `check`.
    public func droppedImages(check: String) throws -> Int {
        try count("SELECT count(*) FROM filter_decisions WHERE item = 'image' AND check_name = ?", [.text(check)])
    }

    // MARK: weak-pairs' reads

    /// One kept image and what weak-pairs' context tags read about it.
    public struct KeptImageContext: Sendable {
        public var imageID: Int64
        /// Its first URL, then its other names (sorted).
        public var urls: [String]
        public var sha256: String
        /// The titles and figcaptions of its references.
        public var titles: [String]
        public var figcaptions: [String]
        /// The pages that show it (for µ-VLA's cross-corpus setting).
        public var pages: Set<Int64>

        public init(imageID: Int64, urls: [String], sha256: String, titles: [String] = [], figcaptions: [String] = [], pages: Set<Int64> = []) {
            self.imageID = imageID; self.urls = urls; self.sha256 = sha256; self.titles = titles; self.figcaptions = figcaptions; self.pages = pages
        }
    }

    /// Kept images without a kept alt-text pair (every kept image with `allImages`), in id order,
    /// with their URLs, the titles and figcaptions of their references and their pages.
    public func keptImagesForWeakPairs(allImages: Bool) throws -> [KeptImageContext] {
        var sql = "SELECT id, url, sha256 FROM kept_images"
        if !allImages {
            sql += " WHERE NOT EXISTS (SELECT 1 FROM kept_pairs p WHERE p.image_id = kept_images.id AND p.text_source = 'alt')"
        }
        var images: [KeptImageContext] = [], index: [Int64: Int] = [:]
        try db.forEach(sql + " ORDER BY id") { row in
            index[row.integer(0)] = images.count
            images.append(KeptImageContext(imageID: row.integer(0), urls: row.text(1).map { [$0] } ?? [], sha256: row.text(2) ?? ""))
        }
        try db.forEach("SELECT image_id, url FROM image_urls ORDER BY url") { row in
            if let i = index[row.integer(0)], let url = row.text(1), !images[i].urls.contains(url) { images[i].urls.append(url) }
        }
        try db.forEach("SELECT image_id, page_id, title, figcaption FROM refs WHERE image_id IS NOT NULL ORDER BY id") { row in
            guard let i = index[row.integer(0)] else { return }
            images[i].pages.insert(row.integer(1))
            if let title = row.text(2), !title.isEmpty, !images[i].titles.contains(title) { images[i].titles.append(title) }
            if let caption = row.text(3), !caption.isEmpty, !images[i].figcaptions.contains(caption) { images[i].figcaptions.append(caption) }
        }
        return images
    }

    // MARK: build-shards' reads

    public struct KeptImage: Sendable {
        public var sha256: String, url: String, width: Int, height: Int
        /// The page of its first reference.
        public var pageURL: String
    }

    /// Every kept image, by id.
    public func keptImages() throws -> [Int64: KeptImage] {
        var out: [Int64: KeptImage] = [:]
        try db.forEach("""
            SELECT i.id, i.sha256, coalesce(i.url, ''), i.width, i.height,
                   coalesce((SELECT g.url FROM refs r JOIN pages g ON g.id = r.page_id WHERE r.image_id = i.id ORDER BY r.id LIMIT 1), '')
            FROM kept_images i
            """) { row in
            out[row.integer(0)] = KeptImage(sha256: row.text(1) ?? "", url: row.text(2) ?? "", width: Int(row.integer(3)), height: Int(row.integer(4)), pageURL: row.text(5) ?? "")
        }
        return out
    }

    /// Every kept pair with its page's URL, in id order.
    public func forEachKeptPair(_ body: (_ id: Int64, _ imageID: Int64, _ text: String, _ source: String, _ pageURL: String, _ language: SampleLanguage) throws -> Void) throws {
        try db.forEach("""
            SELECT p.id, p.image_id, p.text, p.text_source, g.url, t.language, t.confidence, g.language
            FROM kept_pairs p JOIN pages g ON g.id = p.page_id LEFT JOIN text_languages t ON t.pair_id = p.id ORDER BY p.id
            """) { row in
            try body(row.integer(0), row.integer(1), row.text(2) ?? "", row.text(3) ?? "alt", row.text(4) ?? "",
                     SampleLanguage(language: row.text(5), confidence: row.isNull(6) ? nil : row.real(6), declared: row.text(7)))
        }
    }

    public struct WeakPair: Sendable {
        public var imageID: Int64, rank: Int, text: String, score: Double, tags: [String], tagSource: String
    }

    /// Weak pairs (of one image, or all), by image and rank.
    public func weakPairs(image: Int64? = nil) throws -> [WeakPair] {
        var out: [WeakPair] = []
        let sql = "SELECT image_id, rank, text, score, tags, tag_source FROM weak_pairs" + (image == nil ? "" : " WHERE image_id = ?") + " ORDER BY image_id, rank"
        try db.forEach(sql, image.map { [.integer($0)] } ?? []) { row in
            out.append(WeakPair(imageID: row.integer(0), rank: Int(row.integer(1)), text: row.text(2) ?? "", score: row.real(3),
                                tags: WeakPairTags.decode(row.text(4) ?? "[]"), tagSource: row.text(5) ?? ""))
        }
        return out
    }

    /// build-shards' text pairs: the ids of sentences with a next sentence on their page.
    public func forEachSentenceWithNext(_ body: (_ id: Int64) throws -> Void) throws {
        try db.forEach("SELECT a.id FROM sentences a JOIN sentences b ON b.page_id = a.page_id AND b.seq = a.seq + 1") { try body($0.integer(0)) }
    }

    /// A sentence and the next on its page.
    public func sentenceAndNext(_ id: Int64) throws -> (String, String)? {
        var out: (String, String)?
        try db.forEach("SELECT a.text, b.text FROM sentences a JOIN sentences b ON b.page_id = a.page_id AND b.seq = a.seq + 1 WHERE a.id = ?", [.integer(id)]) {
            if let a = $0.text(0), let b = $0.text(1) { out = (a, b) }
        }
        return out
    }
}

/// `weak_pairs.tags`: the ordered tags as a JSON array of strings.
public enum WeakPairTags {
    public static func encode(_ tags: [String]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: tags)) ?? Data("[]".utf8), as: UTF8.self)
    }

    public static func decode(_ text: String) -> [String] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String]) ?? []
    }
}


/// One row of `metadata_entries`.
public struct MetadataEntryRow: Sendable, Equatable {
    public var rule: String
    public var entryID: Int
    public var entry: String
    public var matches: Int
    public var probability: Double
    public var reached: Int
    public var drawn: Int
    public var kept: Int

    public init(rule: String, entryID: Int, entry: String, matches: Int, probability: Double, reached: Int, drawn: Int, kept: Int) {
        self.rule = rule; self.entryID = entryID; self.entry = entry; self.matches = matches
        self.probability = probability; self.reached = reached; self.drawn = drawn; self.kept = kept
    }
}
