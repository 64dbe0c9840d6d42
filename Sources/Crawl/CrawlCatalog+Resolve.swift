import Catalog

extension CrawlCatalog {
    /// Links every reference to image bytes in the dumps and rebuilds the pairs and the
    /// sentence index. Run after each crawl-dump, over the whole catalog, in one transaction:
    /// it depends only on what the tables hold, so re-running it changes nothing.
    ///
    /// 1. Revisits point at their original: the page or image captured at WARC-Refers-To-Target-URI
    ///    (else at the revisit's own URL) with the same payload digest when both have one. A
    ///    revisited image's URL becomes another name of the original image.
    /// 2. A reference takes the first of its candidate URLs (chosen source first) that names an
    ///    image in the dumps, directly or through one HTTP redirect; `missing` when none does,
    ///    `no_url` when it has no usable URL (only a data: URI, or nothing).
    /// 3. Pairs: one per non-empty text of a resolved reference, from alt, title, aria-label and figcaption.
    func resolve() throws {
        try db.execute("""
            UPDATE revisits SET
              page_id = (SELECT p.id FROM pages p WHERE p.url_key = coalesce(revisits.refers_to_key, revisits.url_key)
                         AND (revisits.payload_digest IS NULL OR p.payload_digest IS NULL OR p.payload_digest = revisits.payload_digest)
                         ORDER BY p.id LIMIT 1),
              image_id = (SELECT u.image_id FROM image_urls u WHERE u.via <> 'revisit' AND u.url_key = coalesce(revisits.refers_to_key, revisits.url_key)
                         AND (revisits.payload_digest IS NULL OR u.payload_digest IS NULL OR u.payload_digest = revisits.payload_digest)
                         ORDER BY u.rowid LIMIT 1);
            DELETE FROM image_urls WHERE via = 'revisit';
            INSERT INTO image_urls (url_key, url, image_id, source_id, via, payload_digest)
              SELECT url_key, url, image_id, source_id, 'revisit', payload_digest FROM revisits
              WHERE image_id IS NOT NULL AND url_key IS NOT NULL ORDER BY id;

            UPDATE refs SET image_id = NULL, matched_url = NULL, status = 'unresolved';
            UPDATE refs SET (image_id, matched_url) = (
              SELECT u.image_id, c.url FROM ref_candidates c JOIN image_urls u ON u.url_key = c.url_key
              WHERE c.ref_id = refs.id ORDER BY c.rank, u.rowid LIMIT 1);
            UPDATE refs SET (image_id, matched_url) = (
              SELECT u.image_id, r.target_url FROM ref_candidates c JOIN redirects r ON r.url_key = c.url_key
              JOIN image_urls u ON u.url_key = r.target_key
              WHERE c.ref_id = refs.id ORDER BY c.rank, r.rowid, u.rowid LIMIT 1)
            WHERE image_id IS NULL;
            UPDATE refs SET status = CASE WHEN image_id IS NOT NULL THEN 'resolved' WHEN url IS NULL THEN 'no_url' ELSE 'missing' END;

            DELETE FROM pairs;
            INSERT INTO pairs (image_id, ref_id, page_id, text, text_source)
              SELECT image_id, ref_id, page_id, text, text_source FROM (
                SELECT image_id, id AS ref_id, page_id, alt AS text, 'alt' AS text_source, 0 AS k FROM refs WHERE image_id IS NOT NULL AND alt <> ''
                UNION ALL SELECT image_id, id, page_id, title, 'title', 1 FROM refs WHERE image_id IS NOT NULL AND title <> ''
                UNION ALL SELECT image_id, id, page_id, aria_label, 'aria_label', 2 FROM refs WHERE image_id IS NOT NULL AND aria_label <> ''
                UNION ALL SELECT image_id, id, page_id, figcaption, 'figcaption', 3 FROM refs WHERE image_id IS NOT NULL AND figcaption <> '')
              ORDER BY ref_id, k;
            """)
        // The sentences' FTS5 index is not built here: it cost a third of the whole command, and
        // only filter and weak-pairs query it (`CatalogStore.indexSentences`, on their first query).
    }
}
