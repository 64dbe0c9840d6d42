import Catalog
import CurateCore
import Foundation

/// The tables `curate filter` adds to the catalog (README: "The catalog"):
///   image_features    image_id, phash (64-bit, as a signed integer), status (`ok` or a drop
///                     reason), detail, signature (8×8 RGB colour signature, hex): computed once
///                     per image, kept across runs
///   filter_decisions  item (`image` or `pair`), id, rule, detail: one row per dropped item of
///                     the last run; replaced as a whole by each run
///   decontamination   image_id, eval_path, distance: the images dropped as near-duplicates of
///                     evaluation images in the last run
///   kept_pairs        a view: the pairs the last run kept
public enum FilterCatalog {
    public static func createTables(_ db: SQLiteDatabase) throws {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS runs (
                id INTEGER PRIMARY KEY, command TEXT NOT NULL, version TEXT NOT NULL, options TEXT NOT NULL,
                started TEXT NOT NULL, finished TEXT, summary TEXT);
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS image_features (
                image_id INTEGER PRIMARY KEY, phash INTEGER, status TEXT NOT NULL, detail TEXT, signature TEXT);
            CREATE TABLE IF NOT EXISTS filter_decisions (
                item TEXT NOT NULL, id INTEGER NOT NULL, rule TEXT NOT NULL, detail TEXT,
                PRIMARY KEY (item, id)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS filter_decisions_rule ON filter_decisions(rule);
            CREATE TABLE IF NOT EXISTS decontamination (
                image_id INTEGER NOT NULL, eval_path TEXT NOT NULL, distance INTEGER NOT NULL);
            CREATE VIEW IF NOT EXISTS kept_pairs AS
                SELECT * FROM pairs WHERE id NOT IN (SELECT id FROM filter_decisions WHERE item = 'pair');
            CREATE TEMP TABLE IF NOT EXISTS filter_texts (pair_id INTEGER PRIMARY KEY, image_id INTEGER NOT NULL, key INTEGER NOT NULL);
            CREATE TEMP TABLE IF NOT EXISTS filter_grams (hash INTEGER PRIMARY KEY, n INTEGER NOT NULL);
            """)
        // Catalogs filtered before colour signatures existed gain the column (their rows are
        // hashed again on the next run).
        let columns = try db.query("PRAGMA table_info(image_features)").compactMap { row -> String? in
            if case .text(let name) = row[1] { return name }
            return nil
        }
        if !columns.contains("signature") { try db.execute("ALTER TABLE image_features ADD COLUMN signature TEXT") }
    }
}

extension Filter {
    /// Replaces the previous run's decisions with this run's, records the run, in one transaction;
    /// then writes WORK/decontamination.jsonl.
    func store(_ report: FilterReport) throws {
        let now = ISO8601DateFormatter().string(from: Date())
        try db.execute("BEGIN IMMEDIATE")
        do {
            try db.execute("DELETE FROM filter_decisions; DELETE FROM decontamination")
            let insert = try db.prepare("INSERT INTO filter_decisions (item, id, rule, detail) VALUES (?, ?, ?, ?)")
            for i in imageIDs.indices where imageDropped[i] >= 0 {
                try insert.run([.text("image"), .integer(imageIDs[i]), .text(rules[Int(imageDropped[i])].name),
                                imageDetail[Int32(i)].map { .text($0) } ?? .null])
            }
            for p in pairIDs.indices where pairDropped[p] >= 0 {
                try insert.run([.text("pair"), .integer(pairIDs[p]), .text(rules[Int(pairDropped[p])].name),
                                pairDetail[Int32(p)].map { .text($0) } ?? .null])
            }
            let listed = try db.prepare("INSERT INTO decontamination (image_id, eval_path, distance) VALUES (?, ?, ?)")
            for entry in decontamination {
                try listed.run([.integer(imageIDs[Int(entry.image)]), .text(entry.eval), .integer(Int64(entry.distance))])
            }
            try db.query("INSERT INTO runs (command, version, options, started, finished, summary) VALUES ('filter', ?, ?, ?, ?, ?)",
                         [.text(CurateVersion.string), .text(options.rules.toml), .text(now), .text(now), .text(report.json)])
            try db.query("INSERT OR REPLACE INTO meta (key, value) VALUES ('filter.rules', ?)", [.text(options.rules.toml)])
            try db.query("INSERT OR REPLACE INTO meta (key, value) VALUES ('filter.run', ?)", [.integer(db.lastInsertRowID)])
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
        var lines = ""
        for entry in decontamination {
            let object: [String: Any] = ["image_id": imageIDs[Int(entry.image)], "eval": entry.eval, "distance": entry.distance,
                                         "url": (try? db.query("SELECT url FROM images WHERE id = ?", [.integer(imageIDs[Int(entry.image)])]).first?.first).flatMap { value -> String? in
                                             if case .text(let url) = value { url } else { nil } } ?? ""]
            lines += String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self) + "\n"
        }
        try AtomicFile.write(Array(lines.utf8), to: options.workDirectory + "/decontamination.jsonl")
    }
}
