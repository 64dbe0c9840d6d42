// The catalog's schema: every table, index and view, in one place, with a schema version
// (`PRAGMA user_version`) and the ordered migrations that reach it. README.md's schema section
// is generated from `CatalogSchema.markdown` over a fresh catalog (a test compares them).

/// Who writes a table and who reads it: the README's schema section and ARCHITECTURE.md.
public struct TableDescription: Sendable {
    public var name: String
    public var writer: String
    public var readers: String
    public var rows: String
}

public enum CatalogSchema {
    /// The version this curate writes. A catalog at a lower version is migrated when opened; one
    /// at a higher version (a newer curate wrote it) is refused.
    public static let version: Int32 = 4

    /// One step from version `number - 1` to `number`, run inside one transaction.
    struct Migration: Sendable {
        var number: Int32
        var name: String
        var apply: @Sendable (SQLiteDatabase) throws -> Void
    }

    /// In order. A fresh catalog runs them all, so a fresh and a migrated catalog are the same.
    static let migrations: [Migration] = [
        Migration(number: 1, name: "the tables of curate up to b356a0b", apply: { db in
            try db.execute(base)
            // Catalogs filtered before colour signatures existed gain the column (their rows are
            // hashed again on the next filter run).
            if try !db.columns(of: "image_features").contains("signature") {
                try db.execute("ALTER TABLE image_features ADD COLUMN signature TEXT")
            }
        }),
        Migration(number: 2, name: "typed runs and structured filter decisions", apply: { db in
            try db.execute("""
                ALTER TABLE filter_decisions ADD COLUMN check_name TEXT;
                ALTER TABLE filter_decisions ADD COLUMN related_image_id INTEGER;
                ALTER TABLE filter_decisions ADD COLUMN eval_path TEXT;
                ALTER TABLE filter_decisions ADD COLUMN distance INTEGER;
                ALTER TABLE filter_decisions ADD COLUMN color_distance REAL;
                CREATE INDEX IF NOT EXISTS filter_decisions_check ON filter_decisions(check_name);
                CREATE VIEW IF NOT EXISTS kept_images AS
                    SELECT * FROM images WHERE id NOT IN (SELECT id FROM filter_decisions WHERE item = 'image');
                """)
            try LegacyRecords.migrate(db)
        }),
        Migration(number: 3, name: "what curate fetch got for each URL", apply: { db in
            try db.execute("""
                CREATE TABLE IF NOT EXISTS fetch_outcomes (
                    id INTEGER PRIMARY KEY, url TEXT NOT NULL, outcome TEXT NOT NULL, http_status INTEGER,
                    attempts INTEGER NOT NULL, redirects INTEGER NOT NULL, final_url TEXT, detail TEXT,
                    source_id INTEGER NOT NULL, offset INTEGER NOT NULL);
                CREATE INDEX IF NOT EXISTS fetch_outcomes_url ON fetch_outcomes(url);
                """)
        }),
        Migration(number: 4, name: "each text's language; MetaCLIP's counts per metadata entry", apply: { db in
            try db.execute("""
                CREATE TABLE IF NOT EXISTS text_languages (
                    pair_id INTEGER PRIMARY KEY, language TEXT NOT NULL, confidence REAL NOT NULL, reliable INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS metadata_entries (
                    rule TEXT NOT NULL, entry_id INTEGER NOT NULL, entry TEXT NOT NULL, matches INTEGER NOT NULL,
                    probability REAL NOT NULL, reached INTEGER NOT NULL, drawn INTEGER NOT NULL, kept INTEGER NOT NULL,
                    PRIMARY KEY (rule, entry_id)) WITHOUT ROWID;
                """)
        }),
    ]

    /// Version 1: what b356a0b's crawl-dump, filter and weak-pairs created, table by table.
    static let base = """
        CREATE TABLE IF NOT EXISTS runs (
            id INTEGER PRIMARY KEY, command TEXT NOT NULL, version TEXT NOT NULL, options TEXT NOT NULL,
            started TEXT NOT NULL, finished TEXT, summary TEXT);
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS sources (
            id INTEGER PRIMARY KEY, path TEXT NOT NULL, kind TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE,
            bytes INTEGER NOT NULL, status TEXT NOT NULL, resume_file INTEGER, resume_stream INTEGER,
            stats TEXT, run_id INTEGER REFERENCES runs(id));
        CREATE TABLE IF NOT EXISTS pages (
            id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL REFERENCES sources(id), path TEXT,
            codec TEXT NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL,
            url TEXT NOT NULL, url_key TEXT, http_status INTEGER, payload_digest TEXT, charset TEXT, charset_source TEXT,
            title TEXT, language TEXT, base_url TEXT, refs INTEGER NOT NULL, sentences INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS images (
            id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, format TEXT NOT NULL, width INTEGER NOT NULL,
            height INTEGER NOT NULL, bytes INTEGER NOT NULL, source_id INTEGER NOT NULL REFERENCES sources(id),
            path TEXT, codec TEXT NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL, url TEXT);
        CREATE TABLE IF NOT EXISTS image_urls (
            url_key TEXT NOT NULL, url TEXT NOT NULL, image_id INTEGER NOT NULL REFERENCES images(id),
            source_id INTEGER NOT NULL, via TEXT NOT NULL, payload_digest TEXT);
        CREATE INDEX IF NOT EXISTS image_urls_key ON image_urls(url_key);
        CREATE TABLE IF NOT EXISTS redirects (
            url_key TEXT NOT NULL, url TEXT NOT NULL, target_url TEXT NOT NULL, target_key TEXT NOT NULL, status INTEGER,
            source_id INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS redirects_key ON redirects(url_key);
        CREATE TABLE IF NOT EXISTS revisits (
            id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL, codec TEXT NOT NULL, offset INTEGER NOT NULL,
            url TEXT NOT NULL, url_key TEXT, media_type TEXT, refers_to_url TEXT, refers_to_key TEXT, refers_to_date TEXT,
            payload_digest TEXT, page_id INTEGER, image_id INTEGER);
        CREATE TABLE IF NOT EXISTS refs (
            id INTEGER PRIMARY KEY, page_id INTEGER NOT NULL REFERENCES pages(id), position INTEGER NOT NULL,
            url TEXT, chosen_by TEXT NOT NULL, alt TEXT, alt_state TEXT NOT NULL, title TEXT, aria_label TEXT,
            figcaption TEXT, status TEXT NOT NULL DEFAULT 'unresolved', image_id INTEGER, matched_url TEXT);
        CREATE INDEX IF NOT EXISTS refs_page ON refs(page_id);
        CREATE TABLE IF NOT EXISTS ref_candidates (
            ref_id INTEGER NOT NULL, rank INTEGER NOT NULL, url TEXT NOT NULL, url_key TEXT NOT NULL,
            PRIMARY KEY (ref_id, rank)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS pairs (
            id INTEGER PRIMARY KEY, image_id INTEGER NOT NULL REFERENCES images(id), ref_id INTEGER NOT NULL,
            page_id INTEGER NOT NULL, text TEXT NOT NULL, text_source TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS pairs_image ON pairs(image_id);
        CREATE TABLE IF NOT EXISTS sentences (
            id INTEGER PRIMARY KEY, page_id INTEGER NOT NULL REFERENCES pages(id), seq INTEGER NOT NULL,
            block INTEGER NOT NULL, text TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS sentences_page ON sentences(page_id, seq);
        CREATE VIRTUAL TABLE IF NOT EXISTS sentences_fts USING fts5(text, content='sentences', content_rowid='id');
        CREATE TABLE IF NOT EXISTS skips (
            id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL, path TEXT, offset INTEGER NOT NULL,
            reason TEXT NOT NULL, detail TEXT NOT NULL);
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
        CREATE TABLE IF NOT EXISTS weak_pairs (
            image_id INTEGER NOT NULL, rank INTEGER NOT NULL, corpus TEXT NOT NULL, sentence_id INTEGER NOT NULL,
            text TEXT NOT NULL, score REAL NOT NULL, tags TEXT NOT NULL, tag_source TEXT NOT NULL,
            PRIMARY KEY (image_id, rank)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS weak_corpus (id INTEGER PRIMARY KEY, source TEXT NOT NULL, text TEXT NOT NULL);
        CREATE VIRTUAL TABLE IF NOT EXISTS weak_corpus_fts USING fts5(text, content='weak_corpus', content_rowid='id');
        """

    /// filter's scratch tables, in the connection's temporary database (never in the file).
    static let filterScratch = """
        CREATE TEMP TABLE IF NOT EXISTS filter_texts (pair_id INTEGER PRIMARY KEY, image_id INTEGER NOT NULL, key INTEGER NOT NULL);
        CREATE TEMP TABLE IF NOT EXISTS filter_grams (hash INTEGER PRIMARY KEY, n INTEGER NOT NULL);
        """

    /// Every table and view, with its writer and readers, in the README's order.
    public static let tables: [TableDescription] = [
        .init(name: "runs", writer: "crawl-dump, filter, weak-pairs, through `CatalogStore.startRun` and `recordRun`", readers: "report; `Catalog` (the last run of a command)",
              rows: "run of a command: `options` and `summary` are JSON of `Catalog`'s Codable types (`RunRecords.swift`)"),
        .init(name: "meta", writer: "Catalog's `indexSentences` (`fts_indexed_to`, for filter and weak-pairs), weak-pairs (`weak_corpus.key`)", readers: "the same stage",
              rows: "key-value state: how far the FTS5 index is filled; which --corpus files `weak_corpus` holds"),
        .init(name: "sources", writer: "crawl-dump", readers: "every stage that reads image bytes (`Catalog.imageLocations`), `curate relocate`",
              rows: "dump file or mirror: absolute `path`, `kind`, `sha256`, `status` (`reading`/`done`), resume point, counts"),
        .init(name: "pages", writer: "crawl-dump", readers: "filter, build-shards, report",
              rows: "HTML page: source, location (`codec` `none`/`gzip_member`/`gzip_stream`, `offset`, `length`; `path` in a mirror), `url`, charset and where it came from, title, language, `<base>`"),
        .init(name: "images", writer: "crawl-dump", readers: "filter, weak-pairs, build-shards, report",
              rows: "distinct image (by `sha256`): format, width and height from the header, bytes, location of the first record that held it, `url`"),
        .init(name: "image_urls", writer: "crawl-dump", readers: "filter, weak-pairs",
              rows: "URL under which the dumps hold an image (`via` response, resource, mirror, revisit)"),
        .init(name: "redirects", writer: "crawl-dump", readers: "crawl-dump", rows: "3xx response: from `url` to `target_url`"),
        .init(name: "revisits", writer: "crawl-dump", readers: "crawl-dump", rows: "revisit record and the page or image it resolved to"),
        .init(name: "refs", writer: "crawl-dump", readers: "filter, weak-pairs, build-shards, report",
              rows: "`<img>` on a page: `position`, chosen `url`, `chosen_by`, `alt` + `alt_state` (present/empty/missing), `title`, `aria_label`, `figcaption`, `status` (`resolved`, `missing`, `no_url`), `image_id`, `matched_url`"),
        .init(name: "ref_candidates", writer: "crawl-dump", readers: "crawl-dump", rows: "candidate URL of a reference, best first"),
        .init(name: "pairs", writer: "crawl-dump", readers: "filter, weak-pairs, build-shards, report",
              rows: "(image, text) pair from a resolved reference: `text_source` alt, title, aria_label or figcaption"),
        .init(name: "sentences", writer: "crawl-dump", readers: "filter, weak-pairs, build-shards (text pairs), report",
              rows: "sentence of a page: `seq` (page order), `block`"),
        .init(name: "sentences_fts", writer: "Catalog's `indexSentences`, on filter's or weak-pairs' first query", readers: "filter (page text), weak-pairs",
              rows: "FTS5 index over `sentences`, built by the first filter or weak-pairs run"),
        .init(name: "skips", writer: "crawl-dump", readers: "report", rows: "record or file skipped, with `reason`, offset and `detail`"),
        .init(name: "fetch_outcomes", writer: "crawl-dump (from the `metadata` records curate fetch writes)", readers: "fetch (what is already fetched), report",
              rows: "URL curate fetch tried: `outcome` (`ok` or the reason: `http_404`, `timeout`, `robots_disallowed`, …), `http_status`, `attempts`, `redirects`, `final_url`, `detail`, and where its metadata record is"),
        .init(name: "image_features", writer: "filter", readers: "filter",
              rows: "image whose pHash filter computed: `phash` (64-bit), `status`, `detail` (why it did not decode), `signature` (8×8 colour) — a cache kept across runs"),
        .init(name: "filter_decisions", writer: "filter", readers: "weak-pairs, build-shards, report (through `kept_images`, `kept_pairs` and `Catalog.decisions`)",
              rows: "dropped item (`item` image or pair, `id`): the `rule`, its `check_name`, a `detail` for people, and for near-duplicates `related_image_id` (the image kept; for a pair dropped with its image, that image), `eval_path`, `distance` and `color_distance`; replaced whole by each run"),
        .init(name: "text_languages", writer: "filter", readers: "filter (`language_in`), build-shards (each sample's json), report",
              rows: "pair: CLD2's `language` of its text (`un` when CLD2 cannot tell), `confidence` (the share of the text's letters in that language, 0 when CLD2 does not call it reliable), `reliable`; replaced whole by each run"),
        .init(name: "metadata_entries", writer: "filter (`metadata_substring` and `balanced_sampling`)", readers: "report",
              rows: "(rule, metadata entry) matched at least once: the `entry`, `matches` (pairs whose text holds it, over the whole crawl), `probability` t / max(matches, t), `reached` (its pairs that reached `balanced_sampling`), `drawn` (those its own draw kept), `kept` (its pairs kept in the end); replaced whole by each run"),
        .init(name: "decontamination", writer: "filter", readers: "report",
              rows: "(crawled image, eval image path, pHash distance) within `eval_near_duplicate`'s radius, also in `WORK/decontamination.jsonl`"),
        .init(name: "kept_images", writer: "(view)", readers: "weak-pairs, build-shards", rows: "image the last filter run kept"),
        .init(name: "kept_pairs", writer: "(view)", readers: "weak-pairs, build-shards", rows: "pair the last filter run kept"),
        .init(name: "weak_pairs", writer: "weak-pairs", readers: "build-shards, report",
              rows: "(image, rank): the retrieved `text`, its `sentence_id` in `corpus` (`pages` or `file`), `score` (−BM25), `tags` (JSON), `tag_source`"),
        .init(name: "weak_corpus", writer: "weak-pairs", readers: "weak-pairs", rows: "sentence of a `--corpus` file given to weak-pairs"),
        .init(name: "weak_corpus_fts", writer: "weak-pairs", readers: "weak-pairs", rows: "FTS5 index over `weak_corpus`"),
    ]

    /// The README's schema table, from a catalog's real tables and columns: one row per table
    /// or view (FTS5's shadow tables and SQLite's own left out).
    public static func markdown(_ db: SQLiteDatabase) throws -> String {
        let names = try db.query("""
            SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'
              AND name NOT LIKE '%_fts_%' ORDER BY name
            """).compactMap { row -> String? in if case .text(let name) = row[0] { name } else { nil } }
        var out = "Schema version \(version) (`PRAGMA user_version`).\n\n| table | columns | written by | read by | one row per |\n|---|---|---|---|---|\n"
        let described = Set(tables.map(\.name))
        for table in tables where names.contains(table.name) {
            let columns = try db.columns(of: table.name).map { "`\($0)`" }.joined(separator: ", ")
            out += "| `\(table.name)` | \(columns) | \(table.writer) | \(table.readers) | \(table.rows) |\n"
        }
        for name in names where !described.contains(name) { out += "| `\(name)` | | (not described) | | |\n" }
        return out
    }
}

extension SQLiteDatabase {
    /// The column names of `table`, in order (PRAGMA table_info).
    func columns(of table: String) throws -> [String] {
        try query("SELECT name FROM pragma_table_info(?)", [.text(table)]).compactMap { row in
            if case .text(let name) = row[0] { name } else { nil }
        }
    }
}
