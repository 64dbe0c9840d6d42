// What curate report reads of every stage's tables. Examples are spread over a table instead
// of its first ids: ordered by a multiplicative hash of the id (Knuth's), the same rows every time.
extension CatalogStore {
    static func spread(_ column: String) -> String { "(\(column) * 2654435761) % 4294967296" }

    func count(_ sql: String, _ arguments: [SQLiteDatabase.Value] = []) throws -> Int {
        if case .integer(let n)? = try db.query(sql, arguments).first?.first { return Int(n) }
        return 0
    }

    /// The funnel's crawl-dump row.
    public struct CrawlCounts: Sendable {
        public var pages = 0, sentences = 0, references = 0, resolvedReferences = 0, images = 0, pairs = 0
        /// Skipped records by reason, most first.
        public var skips: [(reason: String, count: Int)] = []
        public init() {}
    }

    public func crawlCounts() throws -> CrawlCounts {
        var c = CrawlCounts()
        c.pages = try count("SELECT count(*) FROM pages")
        c.references = try count("SELECT count(*) FROM refs")
        c.resolvedReferences = try count("SELECT count(*) FROM refs WHERE status = 'resolved'")
        c.images = try count("SELECT count(*) FROM images")
        c.pairs = try count("SELECT count(*) FROM pairs")
        c.sentences = try count("SELECT count(*) FROM sentences")
        try db.forEach("SELECT reason, count(*) FROM skips GROUP BY reason ORDER BY 2 DESC") { c.skips.append(($0.text(0) ?? "", Int($0.integer(1)))) }
        return c
    }

    /// Weak pairs, and the distinct images they pair.
    public func weakPairCounts() throws -> (pairs: Int, images: Int) {
        (try count("SELECT count(*) FROM weak_pairs"), try count("SELECT count(DISTINCT image_id) FROM weak_pairs"))
    }

    /// Per rule of the last filter run: the images and pairs it dropped.
    public func dropsByRule() throws -> [(rule: String, images: Int, pairs: Int)] {
        var out: [(String, Int, Int)] = []
        try db.forEach("SELECT rule, sum(item = 'image'), sum(item = 'pair') FROM filter_decisions GROUP BY rule") {
            out.append(($0.text(0) ?? "", Int($0.integer(1)), Int($0.integer(2))))
        }
        return out
    }

    public struct DroppedImage: Sendable {
        public var decision: FilterDecision
        public var width: Int, height: Int
        public var url: String?
        /// Its first pair's text.
        public var text: String?
    }

    /// Up to `limit` images `rule` dropped, spread over the ids.
    public func droppedImages(rule: String, limit: Int) throws -> [DroppedImage] {
        var out: [DroppedImage] = []
        try db.forEach("""
            SELECT \(Self.joinedDecisionColumns), i.width, i.height, i.url, (SELECT text FROM pairs p WHERE p.image_id = d.id ORDER BY p.id LIMIT 1)
            FROM filter_decisions d JOIN images i ON i.id = d.id WHERE d.item = 'image' AND d.rule = ?
            ORDER BY \(Self.spread("d.id")) LIMIT ?
            """, [.text(rule), .integer(Int64(limit))]) { row in
            out.append(DroppedImage(decision: Self.decision(row), width: Int(row.integer(9)), height: Int(row.integer(10)), url: row.text(11), text: row.text(12)))
        }
        return out
    }

    public struct DroppedPair: Sendable {
        public var decision: FilterDecision
        public var text: String, source: String, imageID: Int64
    }

    /// Up to `limit` pairs `rule` dropped, spread over the ids.
    public func droppedPairs(rule: String, limit: Int) throws -> [DroppedPair] {
        var out: [DroppedPair] = []
        try db.forEach("""
            SELECT \(Self.joinedDecisionColumns), p.text, p.text_source, p.image_id FROM filter_decisions d JOIN pairs p ON p.id = d.id
            WHERE d.item = 'pair' AND d.rule = ? ORDER BY \(Self.spread("d.id")) LIMIT ?
            """, [.text(rule), .integer(Int64(limit))]) { row in
            out.append(DroppedPair(decision: Self.decision(row), text: row.text(9) ?? "", source: row.text(10) ?? "", imageID: row.integer(11)))
        }
        return out
    }

    /// Up to `limit` images with weak pairs, spread over the ids, each with its pairs by rank.
    public func weakPairExamples(limit: Int) throws -> [(imageID: Int64, pairs: [WeakPair])] {
        var ids: [Int64] = []
        try db.forEach("SELECT DISTINCT image_id FROM weak_pairs ORDER BY \(Self.spread("image_id")) LIMIT ?", [.integer(Int64(limit))]) { ids.append($0.integer(0)) }
        return try ids.map { ($0, try weakPairs(image: $0)) }
    }

    /// The decontamination list with each crawled image's URL, by image, distance and path.
    public func decontaminationList() throws -> [(imageID: Int64, evalPath: String, distance: Int, url: String?)] {
        var out: [(Int64, String, Int, String?)] = []
        try db.forEach("""
            SELECT d.image_id, d.eval_path, d.distance, i.url FROM decontamination d JOIN images i ON i.id = d.image_id
            ORDER BY d.image_id, d.distance, d.eval_path
            """) { out.append(($0.integer(0), $0.text(1) ?? "", Int($0.integer(2)), $0.text(3))) }
        return out
    }
}
