// The `runs` table, typed: each command's options and summary are a Codable type here, stored as
// JSON (snake_case keys, sorted), written and read only through `CatalogStore`'s functions below.
import CurateCore
import Foundation

/// The commands that record runs in the catalog.
public enum RunCommand: String, Codable, Sendable, CaseIterable {
    case crawlDump = "crawl-dump"
    case filter
    case weakPairs = "weak-pairs"
    case fetch
}

/// What a command records about a run: its options and its summary types.
public protocol RunRecord {
    associatedtype Options: Codable & Sendable
    associatedtype Summary: Codable & Sendable
    static var command: RunCommand { get }
}

/// One run read back.
public struct Run<Record: RunRecord>: Sendable {
    public var id: Int64
    public var version: String
    public var started: String
    public var finished: String?
    public var options: Record.Options
    public var summary: Record.Summary?
}

// MARK: crawl-dump

public enum CrawlRun: RunRecord {
    public static let command = RunCommand.crawlDump

    public struct Options: Codable, Sendable, Equatable {
        public var inputs: [String]
        public var work: String
        public var threads: Int
        public var maxRecordBytes: Int
        public var batchRecords: Int
        /// `html5` or `libxml2` (absent in runs recorded before the choice existed: libxml2).
        public var htmlParser: String?
        public init(inputs: [String], work: String, threads: Int, maxRecordBytes: Int, batchRecords: Int, htmlParser: String? = nil) {
            self.inputs = inputs; self.work = work; self.threads = threads; self.maxRecordBytes = maxRecordBytes; self.batchRecords = batchRecords
            self.htmlParser = htmlParser
        }
    }

    /// Outcomes by name and skips by reason (also each source's `sources.stats`).
    public struct Summary: Codable, Sendable, Equatable {
        public var outcomes: [String: Int]
        public var skipped: [String: Int]
        public init(outcomes: [String: Int], skipped: [String: Int]) { self.outcomes = outcomes; self.skipped = skipped }
    }
}

// MARK: filter

public enum FilterRun: RunRecord {
    public static let command = RunCommand.filter

    public struct Options: Codable, Sendable, Equatable {
        /// The effective rules, as the TOML curate filter prints.
        public var rules: String
        /// The --eval-images paths (nil in runs migrated from catalogs that did not record them).
        public var evalImages: [String]?
        public init(rules: String, evalImages: [String]?) { self.rules = rules; self.evalImages = evalImages }
    }

    /// The table curate filter prints, rule by rule in the order they ran.
    public struct Summary: Codable, Sendable, Equatable {
        public struct Rule: Codable, Sendable, Equatable {
            public var rule: String
            public var set: String
            public var enabled: Bool
            public var droppedImages: Int
            public var droppedPairs: Int
            public var imagesLeft: Int
            public var pairsLeft: Int
            public var note: String?
            public init(rule: String, set: String, enabled: Bool, droppedImages: Int, droppedPairs: Int, imagesLeft: Int, pairsLeft: Int, note: String?) {
                self.rule = rule; self.set = set; self.enabled = enabled; self.droppedImages = droppedImages; self.droppedPairs = droppedPairs
                self.imagesLeft = imagesLeft; self.pairsLeft = pairsLeft; self.note = note
            }
        }
        public var images: Int
        public var pairs: Int
        public var rules: [Rule]
        public var decontaminated: Int
        public var missingReferences: Int
        public var seconds: Double
        public init(images: Int, pairs: Int, rules: [Rule], decontaminated: Int, missingReferences: Int, seconds: Double) {
            self.images = images; self.pairs = pairs; self.rules = rules; self.decontaminated = decontaminated
            self.missingReferences = missingReferences; self.seconds = seconds
        }
    }
}

// MARK: weak-pairs

public enum WeakPairsRun: RunRecord {
    public static let command = RunCommand.weakPairs

    public struct Options: Codable, Sendable, Equatable {
        public var k: Int
        public var allImages: Bool
        public var excludeOwnPages: Bool
        public var requireTagWord: Bool
        public var detections: String?
        /// The --corpus paths; empty: the catalog's page sentences.
        public var corpus: [String]
        public init(k: Int, allImages: Bool, excludeOwnPages: Bool, requireTagWord: Bool, detections: String?, corpus: [String]) {
            self.k = k; self.allImages = allImages; self.excludeOwnPages = excludeOwnPages; self.requireTagWord = requireTagWord
            self.detections = detections; self.corpus = corpus
        }
    }

    public struct Summary: Codable, Sendable, Equatable {
        public var images = 0
        public var detectorTagged = 0
        public var contextTagged = 0
        public var untagged = 0
        public var unmatched = 0
        public var pairs = 0
        public var detectionLinesSkipped = 0
        public var seconds = 0.0
        public init() {}

        /// The two lines curate weak-pairs prints.
        public var text: String {
            String(format: """
                weak pairs for %d images: tags from the detector %d, from context %d, none %d; no sentence found %d
                wrote %d weak pairs (%.1f s, %.0f images/s)
                """, images, detectorTagged, contextTagged, untagged, unmatched, pairs, seconds, Double(images) / max(seconds, 1e-9))
                + (detectionLinesSkipped > 0 ? "; \(detectionLinesSkipped) detection lines skipped (not readable JSON, or over 1 MiB)" : "")
        }
    }
}

// MARK: reading and writing runs

/// The JSON of the runs table and every JSON column: snake_case keys, sorted, slashes unescaped.
public enum CatalogJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public static func decode<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(type, from: Data(text.utf8))
    }
}

/// A row of `runs` for listing, whatever the command.
public struct RunListing: Sendable {
    public var id: Int64
    public var command: String
    public var started: String
    public var finished: String?
    /// The options as stored (JSON).
    public var options: String
}

extension CatalogStore {
    static var now: String { ISO8601DateFormatter().string(from: Date()) }

    /// Records that a run started (crawl-dump, which finishes it with `finishRun`); returns its id.
    public func startRun<R: RunRecord>(_ record: R.Type, options: R.Options, started: Date = Date()) throws -> Int64 {
        try db.query("INSERT INTO runs (command, version, options, started) VALUES (?, ?, ?, ?)",
                     [.text(R.command.rawValue), .text(CurateVersion.string), .text(try CatalogJSON.encode(options)),
                      .text(ISO8601DateFormatter().string(from: started))])
        return db.lastInsertRowID
    }

    public func finishRun<R: RunRecord>(_ record: R.Type, id: Int64, summary: R.Summary) throws {
        try db.query("UPDATE runs SET finished = ?, summary = ? WHERE id = ?", [.text(Self.now), .text(try CatalogJSON.encode(summary)), .integer(id)])
    }

    /// Records a whole run at once, inside the caller's transaction (filter and weak-pairs store
    /// it with their results, so a run is recorded exactly when its results are).
    @discardableResult
    public func recordRun<R: RunRecord>(_ record: R.Type, options: R.Options, summary: R.Summary, started: Date) throws -> Int64 {
        let id = try startRun(record, options: options, started: started)
        try finishRun(record, id: id, summary: summary)
        return id
    }

    /// The last finished run of `record`'s command, typed; nil when it never finished.
    public func lastRun<R: RunRecord>(_ record: R.Type) throws -> Run<R>? {
        guard let row = try db.query("""
            SELECT id, version, started, finished, options, summary FROM runs
            WHERE command = ? AND finished IS NOT NULL ORDER BY id DESC LIMIT 1
            """, [.text(R.command.rawValue)]).first else { return nil }
        func text(_ v: SQLiteDatabase.Value) -> String? { if case .text(let s) = v { s } else { nil } }
        guard case .integer(let id) = row[0], let options = CatalogJSON.decode(R.Options.self, text(row[4]) ?? "") else { return nil }
        return Run(id: id, version: text(row[1]) ?? "", started: text(row[2]) ?? "", finished: text(row[3]), options: options,
                   summary: text(row[5]).flatMap { CatalogJSON.decode(R.Summary.self, $0) })
    }

    /// Whether curate filter has finished a run on this catalog, and with which rules.
    public func lastFilterRun() throws -> Run<FilterRun>? { try lastRun(FilterRun.self) }

    /// Every run, in order.
    public func runs() throws -> [RunListing] {
        var out: [RunListing] = []
        try db.forEach("SELECT id, command, started, finished, options FROM runs ORDER BY id") { row in
            out.append(RunListing(id: row.integer(0), command: row.text(1) ?? "", started: row.text(2) ?? "", finished: row.text(3), options: row.text(4) ?? ""))
        }
        return out
    }
}

// MARK: fetch

public enum FetchRun: RunRecord {
    public static let command = RunCommand.fetch

    /// The options that decide what was fetched and how politely (the warcinfo record of each
    /// file holds them all).
    public struct Options: Codable, Sendable, Equatable {
        public var out: String
        public var userAgent: String
        public var limit: Int?
        public var connections: Int
        public var perHost: Int
        public var hostDelay: Double
        public var obeyRobots: Bool
        public var allowPrivateAddresses: Bool
        public var maxBytes: Int
        public init(out: String, userAgent: String, limit: Int?, connections: Int, perHost: Int, hostDelay: Double, obeyRobots: Bool,
                    allowPrivateAddresses: Bool, maxBytes: Int) {
            self.out = out; self.userAgent = userAgent; self.limit = limit; self.connections = connections; self.perHost = perHost
            self.hostDelay = hostDelay; self.obeyRobots = obeyRobots; self.allowPrivateAddresses = allowPrivateAddresses; self.maxBytes = maxBytes
        }
    }

    /// URLs by outcome, the image bytes kept, the files written.
    public struct Summary: Codable, Sendable, Equatable {
        public var urls: Int
        public var outcomes: [String: Int]
        public var bytes: Int64
        public var seconds: Double
        public var files: [String]
        public init(urls: Int, outcomes: [String: Int], bytes: Int64, seconds: Double, files: [String]) {
            self.urls = urls; self.outcomes = outcomes; self.bytes = bytes; self.seconds = seconds; self.files = files
        }
    }
}
