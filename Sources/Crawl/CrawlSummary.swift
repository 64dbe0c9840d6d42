import Catalog
import CurateCore
import Foundation

/// Counts for one source or one run: outcomes by name, and skips by reason. Mergeable sums,
/// stored as JSON in `sources.stats` and `runs.summary`.
public struct SourceCounts: Sendable, Equatable {
    public private(set) var outcomes: [String: Int] = [:]
    public private(set) var skips: [DropReason: Int] = [:]

    public init() {}

    init(json: String) {
        guard let record = CatalogJSON.decode(CrawlRun.Summary.self, json) else { return }
        outcomes = record.outcomes
        for (k, v) in record.skipped { skips[DropReason(k)] = v }
    }

    mutating func add(_ name: String, _ n: Int = 1) { outcomes[name, default: 0] += n }
    mutating func skip(_ reason: DropReason) { skips[reason, default: 0] += 1 }

    mutating func merge(_ other: SourceCounts) {
        for (k, v) in other.outcomes { outcomes[k, default: 0] += v }
        for (k, v) in other.skips { skips[k, default: 0] += v }
    }

    /// As the runs table and `sources.stats` record it.
    var record: CrawlRun.Summary {
        CrawlRun.Summary(outcomes: outcomes, skipped: Dictionary(uniqueKeysWithValues: skips.map { ($0.key.rawValue, $0.value) }))
    }

    var json: String { (try? CatalogJSON.encode(record)) ?? "{}" }
}

/// What crawl-dump prints at the end: what this run read, and what the catalog now holds.
public struct CrawlSummary: Sendable {
    public var read: [String] = []
    public var alreadyDone: [String] = []
    public var ignoredFiles: [String] = []
    public var thisRun = SourceCounts()
    public var seconds = 0.0
    /// Catalog totals after the run.
    public var totals: [(String, Int)] = []
    public var referenceStatus: [(String, Int)] = []
    public var pairSources: [(String, Int)] = []

    mutating func loadTotals(_ db: SQLiteDatabase) throws {
        func count(_ sql: String) throws -> Int {
            if case .integer(let n)? = try db.query(sql).first?.first { return Int(n) }
            return 0
        }
        totals = [
            ("sources", try count("SELECT count(*) FROM sources WHERE status = 'done'")),
            ("pages", try count("SELECT count(*) FROM pages")),
            ("images", try count("SELECT count(*) FROM images")),
            ("images_without_pairs", try count("SELECT count(*) FROM images WHERE id NOT IN (SELECT image_id FROM pairs)")),
            ("image_references", try count("SELECT count(*) FROM refs")),
            ("pairs", try count("SELECT count(*) FROM pairs")),
            ("sentences", try count("SELECT count(*) FROM sentences")),
            ("revisits_resolved", try count("SELECT count(*) FROM revisits WHERE page_id IS NOT NULL OR image_id IS NOT NULL")),
            ("revisits_unresolved", try count("SELECT count(*) FROM revisits WHERE page_id IS NULL AND image_id IS NULL AND (media_type IS NULL OR (media_type LIKE 'image/%' AND media_type <> 'image/svg+xml') OR media_type IN ('text/html', 'application/xhtml+xml'))")),
            ("revisits_of_other_media", try count("SELECT count(*) FROM revisits WHERE page_id IS NULL AND image_id IS NULL AND NOT (media_type IS NULL OR (media_type LIKE 'image/%' AND media_type <> 'image/svg+xml') OR media_type IN ('text/html', 'application/xhtml+xml'))")),
            ("skipped", try count("SELECT count(*) FROM skips")),
        ]
        func grouped(_ sql: String) throws -> [(String, Int)] {
            try db.query(sql).compactMap { row in
                guard case .text(let k) = row[0], case .integer(let n) = row[1] else { return nil }
                return (k, Int(n))
            }
        }
        referenceStatus = try grouped("SELECT status, count(*) FROM refs GROUP BY status ORDER BY status")
        pairSources = try grouped("SELECT text_source, count(*) FROM pairs GROUP BY text_source ORDER BY text_source")
    }

    /// The end-of-run report, one fact per line.
    public var lines: [String] {
        var out: [String] = []
        out.append("read \(read.count) source(s)" + (alreadyDone.isEmpty ? "" : ", \(alreadyDone.count) already in the catalog (same content hash), not read again"))
        if !ignoredFiles.isEmpty { out.append("ignored \(ignoredFiles.count) file(s) that are not WARC files: " + ignoredFiles.prefix(3).joined(separator: ", ") + (ignoredFiles.count > 3 ? ", ..." : "")) }
        out.append(String(format: "this run: %.1f s", seconds))
        for k in thisRun.outcomes.keys.sorted() { out.append("  \(k) \(thisRun.outcomes[k]!)") }
        for k in thisRun.skips.keys.sorted() { out.append("  dropped.\(k) \(thisRun.skips[k]!)") }
        out.append("catalog:")
        for (k, n) in totals { out.append("  \(k) \(n)") }
        for (k, n) in referenceStatus { out.append("  references.\(k) \(n)") }
        for (k, n) in pairSources { out.append("  pairs.\(k) \(n)") }
        return out
    }
}
