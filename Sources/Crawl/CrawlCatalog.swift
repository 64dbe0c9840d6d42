import Catalog

/// The tables crawl-dump writes, for tools that build a catalog some other way (the filter
/// benchmark generates one with a million pairs).
public enum CrawlCatalogSchema {
    public static var sql: String { CrawlCatalog.schema }
}

/// The part of the catalog that crawl-dump writes: its schema, its inserts, and the final
/// resolution of image references to image bytes. README.md ("The catalog") documents the
/// tables with example queries.
final class CrawlCatalog {
    typealias Value = SQLiteDatabase.Value
    let db: SQLiteDatabase

    static let schema = """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = NORMAL;
        CREATE TABLE IF NOT EXISTS runs (
            id INTEGER PRIMARY KEY, command TEXT NOT NULL, version TEXT NOT NULL, options TEXT NOT NULL,
            started TEXT NOT NULL, finished TEXT, summary TEXT);
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
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """

    private let insertPage, insertImage, insertImageURL, insertRedirect, insertRevisit, insertRef, insertCandidate,
        insertSentence, insertSkip: SQLiteDatabase.Statement

    init(path: String) throws {
        db = try SQLiteDatabase(path: path)
        try db.execute(Self.schema)
        insertPage = try db.prepare("INSERT INTO pages (source_id, path, codec, offset, length, url, url_key, http_status, payload_digest, charset, charset_source, title, language, base_url, refs, sentences) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        insertImage = try db.prepare("INSERT OR IGNORE INTO images (sha256, format, width, height, bytes, source_id, path, codec, offset, length, url) VALUES (?,?,?,?,?,?,?,?,?,?,?)")
        insertImageURL = try db.prepare("INSERT INTO image_urls (url_key, url, image_id, source_id, via, payload_digest) SELECT ?, ?, id, ?, ?, ? FROM images WHERE sha256 = ?")
        insertRedirect = try db.prepare("INSERT INTO redirects (url_key, url, target_url, target_key, status, source_id) VALUES (?,?,?,?,?,?)")
        insertRevisit = try db.prepare("INSERT INTO revisits (source_id, codec, offset, url, url_key, media_type, refers_to_url, refers_to_key, refers_to_date, payload_digest) VALUES (?,?,?,?,?,?,?,?,?,?)")
        insertRef = try db.prepare("INSERT INTO refs (page_id, position, url, chosen_by, alt, alt_state, title, aria_label, figcaption) VALUES (?,?,?,?,?,?,?,?,?)")
        insertCandidate = try db.prepare("INSERT INTO ref_candidates (ref_id, rank, url, url_key) VALUES (?,?,?,?)")
        insertSentence = try db.prepare("INSERT INTO sentences (page_id, seq, block, text) VALUES (?,?,?,?)")
        insertSkip = try db.prepare("INSERT INTO skips (source_id, path, offset, reason, detail) VALUES (?,?,?,?,?)")
    }

    static func text(_ s: String?) -> Value { s.map { .text($0) } ?? .null }
    static func int(_ n: Int64?) -> Value { n.map { .integer($0) } ?? .null }

    // MARK: writes, all inside the caller's transaction

    func add(page: PageResult, sourceID: Int64) throws {
        let l = page.location
        try insertPage.run([.integer(sourceID), Self.text(page.path), .text(l.codec), .integer(l.offset), .integer(l.length),
                            .text(page.url), Self.text(page.urlKey), Self.int(page.httpStatus.map(Int64.init)),
                            Self.text(page.payloadDigest), .text(page.charset), .text(page.charsetSource),
                            Self.text(page.extracted.title), Self.text(page.extracted.language), Self.text(page.extracted.baseURL),
                            .integer(Int64(page.extracted.references.count)), .integer(Int64(page.extracted.sentences.count))])
        let pageID = db.lastInsertRowID
        for ref in page.extracted.references {
            let altState = ref.alt == nil ? "missing" : (ref.alt!.isEmpty ? "empty" : "present")
            try insertRef.run([.integer(pageID), .integer(Int64(ref.position)), Self.text(ref.urls.first), .text(ref.chosenBy),
                               Self.text(ref.alt), .text(altState), Self.text(ref.title), Self.text(ref.ariaLabel), Self.text(ref.figcaption)])
            let refID = db.lastInsertRowID
            for (rank, (url, key)) in zip(ref.urls, ref.urlKeys).enumerated() {
                try insertCandidate.run([.integer(refID), .integer(Int64(rank)), .text(url), .text(key)])
            }
        }
        for (seq, sentence) in page.extracted.sentences.enumerated() {
            try insertSentence.run([.integer(pageID), .integer(Int64(seq)), .integer(Int64(sentence.block)), .text(sentence.text)])
        }
    }

    func add(image: ImageResult, sourceID: Int64) throws {
        let l = image.location
        try insertImage.run([.text(image.sha256), .text(image.format), .integer(Int64(image.width)), .integer(Int64(image.height)),
                             .integer(Int64(image.bytes)), .integer(sourceID), Self.text(image.path), .text(l.codec),
                             .integer(l.offset), .integer(l.length), Self.text(image.url)])
        if let url = image.url, let key = WebURL(parsing: url).matchKey {
            try insertImageURL.run([.text(key), .text(url), .integer(sourceID), .text(image.via), Self.text(image.payloadDigest), .text(image.sha256)])
        }
    }

    func add(redirect from: String, to target: String, status: Int, sourceID: Int64) throws {
        guard let key = WebURL(parsing: from).matchKey, let targetKey = WebURL(parsing: target).matchKey else { return }
        try insertRedirect.run([.text(key), .text(from), .text(target), .text(targetKey), .integer(Int64(status)), .integer(sourceID)])
    }

    func add(revisit: RevisitResult, sourceID: Int64) throws {
        try insertRevisit.run([.integer(sourceID), .text(revisit.location.codec), .integer(revisit.location.offset), .text(revisit.url),
                               Self.text(WebURL(parsing: revisit.url).matchKey), Self.text(revisit.mediaType), Self.text(revisit.refersTo),
                               Self.text(revisit.refersTo.flatMap { WebURL(parsing: $0).matchKey }), Self.text(revisit.refersToDate),
                               Self.text(revisit.payloadDigest)])
    }

    func add(skip: CrawlSkip, path: String?, sourceID: Int64) throws {
        try insertSkip.run([.integer(sourceID), Self.text(path), .integer(skip.offset), .text(skip.reason.rawValue), .text(skip.detail)])
    }
}
