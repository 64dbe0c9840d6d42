import Catalog
import Foundation

/// ALIGN drops pornographic images with an image classifier; curate has none, so its rule is a
/// text proxy, named for what it is: an image is dropped when a blocklisted word or two-word
/// phrase appears in one of the rule's `fields`:
///   image_url   the image's URLs (split into words: `/xxx-pics/` is `xxx`, `pics`)
///   page_url    the URL of a page that shows it
///   text        any of its texts (alt, title, figcaption)
///   page_title  the title of a page that shows it
///   page_text   the sentences of a page that shows it: at least `page_min_sentences` sentences
///               with a blocklisted term (through the FTS5 index), so one mention does not condemn a page
extension Filter {
    func applyBlocklist(_ rule: Rule, index r: Int) throws {
        let entries = try options.rules.list(of: rule).map { tokenizer.words($0) }.filter { !$0.isEmpty }
        let unigrams = Set(entries.filter { $0.count == 1 }.map { $0[0] })
        let bigrams = Set(entries.filter { $0.count == 2 }.map { $0.joined(separator: " ") })
        let longer = entries.filter { $0.count > 2 }
        guard longer.isEmpty else {
            throw FilterError.badRules(path: rule.string("list"), what: "entries have one or two words; \"\(longer[0].joined(separator: " "))\" has more")
        }
        func hit(_ text: String?) -> String? {
            guard let text else { return nil }
            let words = tokenizer.words(text)
            for (k, word) in words.enumerated() {
                if unigrams.contains(word) { return word }
                if k > 0, bigrams.contains(words[k - 1] + " " + word) { return words[k - 1] + " " + word }
            }
            return nil
        }
        let fields = Set(rule.strings("fields"))
        var flaggedPages: [Int64: String] = [:]
        func flag(_ image: Int64, _ why: String) {
            if let i = imageIndex[image] { dropImage(Int(i), rule: r, why) }
        }
        if fields.contains("image_url") {
            try db.forEach("SELECT id, url FROM images WHERE url IS NOT NULL UNION ALL SELECT image_id, url FROM image_urls") { row in
                if let term = hit(row.text(1)) { flag(row.integer(0), "\"\(term)\" in the image URL") }
            }
        }
        if fields.contains("text") {
            try db.forEach("SELECT image_id, text FROM pairs") { row in
                if let term = hit(row.text(1)) { flag(row.integer(0), "\"\(term)\" in its text") }
            }
        }
        if fields.contains("page_url") || fields.contains("page_title") {
            try db.forEach("SELECT id, url, title FROM pages") { row in
                if fields.contains("page_url"), let term = hit(row.text(1)) { flaggedPages[row.integer(0)] = "\"\(term)\" in the page URL" }
                else if fields.contains("page_title"), let term = hit(row.text(2)) { flaggedPages[row.integer(0)] = "\"\(term)\" in the page title" }
            }
        }
        if fields.contains("page_text") {
            let hasIndex = try !db.query("SELECT 1 FROM sqlite_master WHERE name = 'sentences_fts'").isEmpty
            if hasIndex && !entries.isEmpty {
                // Each term a quoted FTS5 phrase, so no word of the list is read as query syntax.
                let query = entries.map { "\"" + $0.joined(separator: " ").replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: " OR ")
                try db.forEach("""
                    SELECT s.page_id, count(*) FROM sentences_fts JOIN sentences s ON s.id = sentences_fts.rowid
                    WHERE sentences_fts MATCH ? GROUP BY s.page_id HAVING count(*) >= ?
                    """, [.text(query), .integer(Int64(rule.int("page_min_sentences")))]) { row in
                    if flaggedPages[row.integer(0)] == nil { flaggedPages[row.integer(0)] = "\(row.integer(1)) sentences with blocklisted terms on its page" }
                }
            }
        }
        if !flaggedPages.isEmpty {
            try db.forEach("SELECT page_id, image_id FROM refs WHERE image_id IS NOT NULL") { row in
                if let why = flaggedPages[row.integer(0)] { flag(row.integer(1), why) }
            }
        }
    }
}
