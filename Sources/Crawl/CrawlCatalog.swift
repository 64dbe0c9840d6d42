import Catalog

/// The part of the catalog that crawl-dump writes: its inserts (hot-path SQL of the tables it
/// owns; `Catalog` holds the schema) and the final resolution of image references to image
/// bytes. README.md ("The catalog") documents the tables with example queries.
final class CrawlCatalog {
    typealias Value = SQLiteDatabase.Value
    let store: CatalogStore
    var db: SQLiteDatabase { store.db }


    private let insertPage, insertImage, insertImageURL, insertRedirect, insertRevisit, insertRef, insertCandidate,
        insertSentence, insertSentences, insertSkip, insertFetchOutcome: SQLiteDatabase.Statement
    /// Sentences go in `sentenceRows` at a time through one statement (a page has about 190).
    static let sentenceRows = 32

    init(path: String) throws {
        store = try CatalogStore(path: path, create: true)
        let db = store.db
        insertPage = try db.prepare("INSERT INTO pages (source_id, path, codec, offset, length, url, url_key, http_status, payload_digest, charset, charset_source, title, language, base_url, refs, sentences) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        insertImage = try db.prepare("INSERT OR IGNORE INTO images (sha256, format, width, height, bytes, source_id, path, codec, offset, length, url) VALUES (?,?,?,?,?,?,?,?,?,?,?)")
        insertImageURL = try db.prepare("INSERT INTO image_urls (url_key, url, image_id, source_id, via, payload_digest) SELECT ?, ?, id, ?, ?, ? FROM images WHERE sha256 = ?")
        insertFetchOutcome = try db.prepare("INSERT INTO fetch_outcomes (url, outcome, http_status, attempts, redirects, final_url, detail, source_id, offset) VALUES (?,?,?,?,?,?,?,?,?)")
        insertRedirect = try db.prepare("INSERT INTO redirects (url_key, url, target_url, target_key, status, source_id) VALUES (?,?,?,?,?,?)")
        insertRevisit = try db.prepare("INSERT INTO revisits (source_id, codec, offset, url, url_key, media_type, refers_to_url, refers_to_key, refers_to_date, payload_digest) VALUES (?,?,?,?,?,?,?,?,?,?)")
        insertRef = try db.prepare("INSERT INTO refs (page_id, position, url, chosen_by, alt, alt_state, title, aria_label, figcaption) VALUES (?,?,?,?,?,?,?,?,?)")
        insertCandidate = try db.prepare("INSERT INTO ref_candidates (ref_id, rank, url, url_key) VALUES (?,?,?,?)")
        insertSentence = try db.prepare("INSERT INTO sentences (page_id, seq, block, text) VALUES (?,?,?,?)")
        insertSentences = try db.prepare("INSERT INTO sentences (page_id, seq, block, text) VALUES " + Array(repeating: "(?,?,?,?)", count: Self.sentenceRows).joined(separator: ","))
        // A larger page cache for the writer: the tables' last pages and the indexes stay in memory.
        try db.execute("PRAGMA cache_size = -65536")
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
                            .integer(Int64(page.extracted.references.count)), .integer(Int64(page.extracted.sentenceSpans.count))])
        let pageID = db.lastInsertRowID
        for ref in page.extracted.references {
            let altState = ref.alt == nil ? "missing" : (ref.alt!.isEmpty ? "empty" : "present")
            insertRef.bind(1, pageID)
            insertRef.bind(2, Int64(ref.position))
            insertRef.bind(3, text: ref.urls.first)
            insertRef.bind(4, text: ref.chosenBy)
            insertRef.bind(5, text: ref.alt)
            insertRef.bind(6, text: altState)
            insertRef.bind(7, text: ref.title)
            insertRef.bind(8, text: ref.ariaLabel)
            insertRef.bind(9, text: ref.figcaption)
            try insertRef.step()
            let refID = db.lastInsertRowID
            for (rank, (url, key)) in zip(ref.urls, ref.urlKeys).enumerated() {
                insertCandidate.bind(1, refID)
                insertCandidate.bind(2, Int64(rank))
                insertCandidate.bind(3, text: url)
                insertCandidate.bind(4, text: key)
                try insertCandidate.step()
            }
        }
        // Rows in order, so ids follow (page, seq) as they did one row at a time.
        let spans = page.extracted.sentenceSpans
        try page.extracted.sentenceText.withUnsafeBufferPointer { text in
            var seq = 0
            while seq < spans.count {
                let rows = spans.count - seq >= Self.sentenceRows ? Self.sentenceRows : 1
                let statement = rows == 1 ? insertSentence : insertSentences
                for r in 0..<rows {
                    let span = spans[seq + r], column = Int32(4 * r)
                    statement.bind(column + 1, pageID)
                    statement.bind(column + 2, Int64(seq + r))
                    statement.bind(column + 3, Int64(span.block))
                    statement.bind(column + 4, text: UnsafeBufferPointer(rebasing: text[Int(span.start)..<Int(span.end)]))
                }
                try statement.step()
                seq += rows
            }
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

    /// A URL curate fetch tried. When it reached its image through redirects, the whole chain
    /// is also one redirect (status 0) from the URL to the image, so the reference resolves
    /// through one hop as resolution allows.
    func add(fetchOutcome o: FetchOutcomeRecord, sourceID: Int64) throws {
        try insertFetchOutcome.run([.text(o.url), .text(o.outcome), o.httpStatus.map { .integer(Int64($0)) } ?? .null, .integer(Int64(o.attempts)),
                                    .integer(Int64(o.redirects)), Self.text(o.finalURL), Self.text(o.detail), .integer(sourceID), .integer(o.offset)])
        if o.outcome == "ok", o.redirects > 1, let final = o.finalURL, final != o.url {
            try add(redirect: o.url, to: final, status: 0, sourceID: sourceID)
        }
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
