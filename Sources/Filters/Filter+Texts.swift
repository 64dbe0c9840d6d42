import Catalog
import Foundation

/// The text side: one pass over every pair's text to count unigrams and bigrams and record each
/// text's key and length, the vocabulary from those counts, and a second pass for rare tokens.
/// Counts live in SQLite (`temp.filter_grams`, merged chunk by chunk) and texts are streamed:
/// no text is held beyond the row being read.
extension Filter {
    static let chunkPairs = 100_000

    func loadPairs() throws {
        let boilerplateRule = rules.first { $0.enabled && $0.check == .boilerplate }
        if let boilerplateRule {
            boilerplate = try BoilerplateList(lines: options.rules.list(of: boilerplateRule), source: boilerplateRule.string("list"))
        }
        let rareRule = rules.first { $0.enabled && $0.check == .rareToken }
        let insertText = try db.prepare("INSERT INTO temp.filter_texts (pair_id, image_id, key) VALUES (?, ?, ?)")
        let mergeGrams = try db.prepare("INSERT INTO temp.filter_grams (hash, n) VALUES (?, ?) ON CONFLICT(hash) DO UPDATE SET n = n + excluded.n")
        var counts: [UInt64: Int32] = [:]
        func flushCounts() throws {
            for (hash, n) in counts { try mergeGrams.run([.integer(Int64(bitPattern: hash)), .integer(Int64(n))]) }
            counts.removeAll(keepingCapacity: true)
        }
        try db.execute("BEGIN")
        try db.forEach("SELECT id, image_id, text FROM pairs ORDER BY id") { row in
            let text = row.text(2) ?? ""
            let words = tokenizer.words(text)
            let key = Tokenizer.textKey(words)
            let image = imageIndex[row.integer(1)] ?? -1
            pairIDs.append(row.integer(0))
            pairImage.append(image)
            pairKey.append(key)
            pairWords.append(Int16(clamping: words.count))
            pairBoilerplate.append(boilerplate?.match(text, words: words).map { Int16($0) } ?? -1)
            try insertText.run([.integer(row.integer(0)), .integer(row.integer(1)), .integer(Int64(bitPattern: key))])
            if rareRule != nil {
                var previous: UInt64?
                for word in words {
                    let h = Tokenizer.hash(word)
                    counts[h, default: 0] += 1
                    if let previous { counts[Tokenizer.bigram(previous, h), default: 0] += 1 }
                    previous = h
                }
                if pairIDs.count % Self.chunkPairs == 0 { try flushCounts() }
            }
        }
        try flushCounts()
        try db.execute("COMMIT")
        pairDropped = [Int16](repeating: -1, count: pairIDs.count)
        progress("read \(pairIDs.count) texts")
        if let rareRule { try findRareTokens(rareRule) }
    }

    /// The vocabulary is the `vocabulary_size` most frequent unigrams and bigrams (every gram
    /// whose count reaches the N-th largest count), or, with `min_count` > 0, every gram seen at
    /// least `min_count` times. A text with any gram outside it has a rare token.
    private func findRareTokens(_ rule: Rule) throws {
        let threshold: Int64
        if rule.int("min_count") > 0 {
            threshold = Int64(rule.int("min_count"))
            notes[rule.name] = "vocabulary: grams seen at least \(threshold) times"
        } else {
            let n = rule.int("vocabulary_size")
            let nth = try db.query("SELECT n FROM temp.filter_grams ORDER BY n DESC LIMIT 1 OFFSET ?", [.integer(Int64(max(n, 1) - 1))])
            if case .integer(let count)? = nth.first?.first {
                threshold = count
                notes[rule.name] = "vocabulary: top \(n) grams (count ≥ \(count))"
            } else {
                threshold = 1
                var distinct: Int64 = 0
                try db.forEach("SELECT count(*) FROM temp.filter_grams") { distinct = $0.integer(0) }
                notes[rule.name] = "vocabulary: all \(distinct) grams (fewer than \(n)): nothing is rare; use min_count for a small corpus"
                return
            }
        }
        var rare = Set<UInt64>()
        try db.forEach("SELECT hash FROM temp.filter_grams WHERE n < ?", [.integer(threshold)]) { rare.insert(UInt64(bitPattern: $0.integer(0))) }
        if rare.isEmpty { return }
        var p = 0
        try db.forEach("SELECT text FROM pairs ORDER BY id") { row in
            defer { p += 1 }
            let words = tokenizer.words(row.text(0) ?? "")
            var previous: (hash: UInt64, word: String)?
            for word in words {
                let h = Tokenizer.hash(word)
                if rare.contains(h) { pairRare[Int32(p)] = word; return }
                if let previous, rare.contains(Tokenizer.bigram(previous.hash, h)) { pairRare[Int32(p)] = previous.word + " " + word; return }
                previous = (h, word)
            }
        }
    }
}
