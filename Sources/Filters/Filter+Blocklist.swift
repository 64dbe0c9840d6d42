import CurateCore
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
struct Blocklist {
    /// Word hash (one word) or bigram hash (two words) → the entry as written.
    private let terms: [UInt64: String]

    init(lines: [String], source: String) throws {
        let tokenizer = Tokenizer()
        var terms: [UInt64: String] = [:]
        for line in lines {
            let words = tokenizer.words(line)
            switch words.count {
            case 1: terms[Tokenizer.hash(words[0])] = words[0]
            case 2: terms[Tokenizer.bigram(Tokenizer.hash(words[0]), Tokenizer.hash(words[1]))] = words.joined(separator: " ")
            case 0: continue
            default: throw FilterError.badRules(path: source, what: "entries have one or two words; \"\(line)\" has \(words.count)")
            }
        }
        self.terms = terms
    }

    var isEmpty: Bool { terms.isEmpty }
    var entries: [String] { Array(terms.values).sorted() }

    /// The first blocklisted word or two-word phrase among the words with these hashes.
    func hit(_ hashes: [UInt64]) -> String? {
        for (k, h) in hashes.enumerated() {
            if let term = terms[h] { return term }
            if k > 0, let term = terms[Tokenizer.bigram(hashes[k - 1], h)] { return term }
        }
        return nil
    }
}

extension Filter {
    /// Finds the blocklist's hits in this catalog (`blockHits`); the rule drops by them, or by the
    /// hits of every unit merged.
    func findBlocklistHits(_ rule: Rule) throws {
        blockHits = [:]
        let list = try blocklist ?? Blocklist(lines: options.rules.list(of: rule), source: rule.string("list"))
        var hashes: [UInt64] = []
        func hit(_ text: String?) -> String? {
            guard let text else { return nil }
            _ = tokenizer.hashes(text, into: &hashes)
            return list.hit(hashes)
        }
        let fields = Set(rule.strings("fields"))
        var flaggedPages: [Int64: String] = [:]
        // An image's hit: the first field in this order (image URL, text, page URL or title, page
        // text), then the first sentence: the same in one catalog and across units.
        var rank = 0
        func flag(_ image: Int64, _ why: String) {
            guard let i = imageIndex[image] else { return }
            let hit = BlockHit(rank: rank, why: why)
            if let known = blockHits[i], !hit.precedes(known) { return }
            blockHits[i] = hit
        }
        if fields.contains("image_url") {
            try store.forEachImageURL { image, url in
                if let term = hit(url) { flag(image, "\"\(term)\" in the image URL") }
            }
        }
        rank = 1
        if fields.contains("text") {
            // Found while the texts were read (loadPairs), so they are not read again.
            for (image, term) in textBlocked.sorted(by: { $0.key < $1.key }) { flag(imageIDs[Int(image)], "\"\(term)\" in its text") }
        }
        rank = 2
        if fields.contains("page_url") || fields.contains("page_title") {
            try store.forEachPage { page, url, title in
                if fields.contains("page_url"), let term = hit(url) { flaggedPages[page] = "\"\(term)\" in the page URL" }
                else if fields.contains("page_title"), let term = hit(title) { flaggedPages[page] = "\"\(term)\" in the page title" }
            }
        }
        if fields.contains("page_text") && !list.isEmpty {
            // Each term a quoted FTS5 phrase, so no word of the list is read as query syntax.
            let query = list.entries.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: " OR ")
            for (page, sentences) in try store.pagesWithSentences(matching: query, minimum: rule.int("page_min_sentences")) where flaggedPages[page] == nil {
                flaggedPages[page] = "\(sentences) sentences with blocklisted terms on its page"
            }
        }
        rank = 3
        if !flaggedPages.isEmpty {
            try store.forEachResolvedReference { page, image in
                if let why = flaggedPages[page] { flag(image, why) }
            }
        }
    }
}
