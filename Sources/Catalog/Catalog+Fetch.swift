// What curate fetch reads: the references crawl-dump could not resolve, less the URLs a fetch
// already answered, in an order that spreads the hosts; and the report's fetch figures.
extension CatalogStore {
    /// Builds the temporary queue of URLs to fetch: for each `missing` reference, its best
    /// http(s) candidate URL (src before srcset's others, as resolution ranks them) that no
    /// fetch has answered yet; each URL once, round-robin over hosts (every host's
    /// first URL, then every host's second, …; within a host by URL), so the URLs in flight
    /// spread over hosts and politeness per host costs little. At most `limit` URLs. Returns
    /// the queue's length. The queue is a table in SQLite's temporary store, so memory does not
    /// grow with the number of URLs.
    public func makeFetchQueue(limit: Int?) throws -> Int {
        try db.execute("""
            DROP TABLE IF EXISTS temp.fetch_queue;
            CREATE TEMP TABLE fetch_queue (seq INTEGER PRIMARY KEY, url TEXT NOT NULL, host TEXT NOT NULL);
            """)
        try db.query("""
            WITH next AS (
              SELECT c.ref_id, min(c.rank) AS rank FROM ref_candidates c JOIN refs r ON r.id = c.ref_id
              WHERE r.status = 'missing' AND (c.url LIKE 'http://%' OR c.url LIKE 'https://%')
                AND NOT EXISTS (SELECT 1 FROM fetch_outcomes o WHERE o.url = c.url)
              GROUP BY c.ref_id),
            wanted AS (SELECT DISTINCT c.url AS url FROM next n JOIN ref_candidates c ON c.ref_id = n.ref_id AND c.rank = n.rank),
            hosted AS (
              SELECT url, lower(substr(rest, 1, instr(rest || '/', '/') - 1)) AS host
              FROM (SELECT url, substr(url, instr(url, '://') + 3) AS rest FROM wanted))
            INSERT INTO fetch_queue (url, host)
              SELECT url, host FROM (SELECT url, host, row_number() OVER (PARTITION BY host ORDER BY url) AS k FROM hosted)
              ORDER BY k, host, url LIMIT ?
            """, [.integer(Int64(limit ?? -1))])
        return try fetchQueueLength()
    }

    public func fetchQueueLength() throws -> Int { try count("SELECT count(*) FROM temp.fetch_queue") }

    /// Those of `urls` that `fetch_outcomes` already holds.
    public func fetchedURLs(among urls: [String]) throws -> Set<String> {
        var out = Set<String>()
        for url in urls where try !db.query("SELECT 1 FROM fetch_outcomes WHERE url = ? LIMIT 1", [.text(url)]).isEmpty { out.insert(url) }
        return out
    }

    /// The queue's URLs after position `after`, at most `count`, with their positions.
    public func fetchQueue(after: Int64, count: Int) throws -> [(seq: Int64, url: String)] {
        var out: [(Int64, String)] = []
        try db.forEach("SELECT seq, url FROM temp.fetch_queue WHERE seq > ? ORDER BY seq LIMIT ?", [.integer(after), .integer(Int64(count))]) {
            out.append(($0.integer(0), $0.text(1) ?? ""))
        }
        return out
    }

    /// The paths of the sources crawl-dump has read to the end.
    public func doneSourcePaths() throws -> Set<String> {
        var out = Set<String>()
        try db.forEach("SELECT path FROM sources WHERE status = 'done'") { row in row.text(0).map { out.insert($0) } }
        return out
    }

    /// URLs by fetch outcome, most first.
    public func fetchOutcomeCounts() throws -> [(outcome: String, count: Int)] {
        var out: [(String, Int)] = []
        try db.forEach("SELECT outcome, count(*) FROM fetch_outcomes GROUP BY outcome ORDER BY 2 DESC, 1") {
            out.append(($0.text(0) ?? "", Int($0.integer(1))))
        }
        return out
    }

    /// References still missing, and those of them with a candidate URL no fetch has answered.
    public func missingReferences() throws -> (missing: Int, unfetched: Int) {
        (try count("SELECT count(*) FROM refs WHERE status = 'missing'"),
         try count("""
            SELECT count(DISTINCT r.id) FROM refs r JOIN ref_candidates c ON c.ref_id = r.id
            WHERE r.status = 'missing' AND (c.url LIKE 'http://%' OR c.url LIKE 'https://%')
              AND NOT EXISTS (SELECT 1 FROM fetch_outcomes o WHERE o.url = c.url)
            """))
    }
}
