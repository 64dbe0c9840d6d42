import CurateCore
import Foundation

/// Why a catalog could not be opened, in one line.
public enum CatalogError: Error, CustomStringConvertible, Sendable {
    case missing(path: String)
    case newer(path: String, version: Int32)
    case sqlite(SQLiteError)

    public var description: String {
        switch self {
        case .missing(let path):
            "no catalog at \(path); run curate crawl-dump DUMP --work \((path as NSString).deletingLastPathComponent) first"
        case .newer(let path, let version):
            "\(path) has catalog schema version \(version), newer than this curate's \(CatalogSchema.version) (curate \(CurateVersion.string)); use the newer curate that wrote it, or a fresh --work folder"
        case .sqlite(let error): error.description
        }
    }
}

/// A work folder's catalog, open at the current schema version: the one way every stage opens
/// `WORK/catalog.sqlite`. The SQL that reads another stage's tables lives in this target's
/// extensions of it (`Catalog+Crawl.swift`, `Catalog+Filter.swift`, `Catalog+Report.swift`).
public final class CatalogStore {
    public let db: SQLiteDatabase
    public var path: String { db.path }

    /// Opens the catalog at `path`, creating it when `create` (crawl-dump) and refusing a missing
    /// one otherwise; migrates an older catalog in one transaction; refuses a newer one.
    public init(path: String, create: Bool = false) throws {
        if !create && !FileManager.default.fileExists(atPath: path) { throw CatalogError.missing(path: path) }
        do {
            db = try SQLiteDatabase(path: path)
            try db.execute("PRAGMA busy_timeout = 5000")
            try Self.migrate(db)
            try db.execute("PRAGMA synchronous = NORMAL")
        } catch let error as SQLiteError {
            throw CatalogError.sqlite(error)
        }
    }

    /// The catalog's `PRAGMA user_version`.
    public static func version(of db: SQLiteDatabase) throws -> Int32 {
        if case .integer(let v)? = try db.query("PRAGMA user_version").first?.first { return Int32(v) }
        return 0
    }

    /// Runs the migrations after the catalog's version, each with the version bump in one
    /// transaction (a killed migration leaves the previous version whole).
    static func migrate(_ db: SQLiteDatabase) throws {
        let current = try version(of: db)
        if current > CatalogSchema.version { throw CatalogError.newer(path: db.path, version: current) }
        if current == CatalogSchema.version { return }
        try db.execute("PRAGMA journal_mode = WAL")
        for migration in CatalogSchema.migrations where migration.number > current {
            try db.execute("BEGIN IMMEDIATE")
            do {
                // Another process may have migrated while this one waited for the write lock.
                if try version(of: db) >= migration.number { try db.execute("ROLLBACK"); continue }
                try migration.apply(db)
                try db.execute("PRAGMA user_version = \(migration.number)")
                try db.execute("COMMIT")
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// filter's scratch tables (in the connection's temporary database).
    public func createFilterScratchTables() throws { try db.execute(CatalogSchema.filterScratch) }

    // MARK: meta, by key, each written by one stage

    public enum MetaKey: String, Sendable {
        /// `indexSentences`: the last sentence id in `sentences_fts`.
        case ftsIndexedTo = "fts_indexed_to"
        /// weak-pairs: the --corpus files (path, size, modification time) `weak_corpus` holds.
        case weakCorpus = "weak_corpus.key"
        /// crawl-dump's unit link: the digest of the other units' images and redirects imported.
        case unitLinkImports = "unit_link.imports"
    }

    public func meta(_ key: MetaKey) throws -> String? {
        if case .text(let value)? = try db.query("SELECT value FROM meta WHERE key = ?", [.text(key.rawValue)]).first?.first { return value }
        return nil
    }

    public func setMeta(_ key: MetaKey, _ value: String) throws {
        try db.query("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [.text(key.rawValue), .text(value)])
    }

    // MARK: the sentence index

    /// Adds the page sentences not yet in `sentences_fts`, the FTS5 index filter and weak-pairs
    /// query; returns how many it added. crawl-dump leaves the index to the first stage that
    /// needs it (one `INSERT … SELECT` over the new rows is much faster than row by row, and a
    /// crawl no stage queries never pays for it). Safe inside or outside a transaction, and
    /// after a kill: the index and its high-water mark commit together.
    @discardableResult
    public func indexSentences() throws -> Int {
        let from = Int64(try meta(.ftsIndexedTo) ?? "0") ?? 0
        guard case .integer(let last)? = try db.query("SELECT coalesce(max(id), 0) FROM sentences").first?.first, last > from else { return 0 }
        try db.execute("SAVEPOINT index_sentences")
        do {
            try db.query("INSERT INTO sentences_fts (rowid, text) SELECT id, text FROM sentences WHERE id > ? AND id <= ? ORDER BY id",
                         [.integer(from), .integer(last)])
            try setMeta(.ftsIndexedTo, String(last))
            try db.execute("RELEASE index_sentences")
        } catch {
            try? db.execute("ROLLBACK TO index_sentences; RELEASE index_sentences")
            throw error
        }
        return Int(last - from)
    }
}
