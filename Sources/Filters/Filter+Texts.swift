import CurateCore
import Catalog
import Foundation

/// The text side: one pass over every pair's text to count unigrams and bigrams and record each
/// text's key and length, the vocabulary from those counts, and a second pass for rare tokens.
/// Counts live in SQLite (`temp.filter_grams`, merged chunk by chunk) and texts are streamed:
/// no text is held beyond the row being read.
extension Filter {
    /// Gram counts are merged into SQLite (`temp.filter_grams`) whenever this many distinct grams
    /// are held, so memory stays bounded however large the catalog; below it, one merge at the end.
    static let maxGramsInMemory = 8_000_000

    func loadPairs() throws {
        let boilerplateRule = rules.first { $0.enabled && $0.check == .boilerplate }
        if let boilerplateRule {
            boilerplate = try BoilerplateList(lines: options.rules.list(of: boilerplateRule), source: boilerplateRule.string("list"))
        }
        let blocklistRule = rules.first { $0.enabled && $0.check == .textBlocklist && $0.strings("fields").contains("text") }
        if let blocklistRule { blocklist = try Blocklist(lines: options.rules.list(of: blocklistRule), source: blocklistRule.string("list")) }
        let rareRule = rules.first { $0.enabled && $0.check == .rareToken }
        // Grams are counted for the whole catalog, or for a unit's partials; a unit's later
        // phases take the counts of every unit from the engine.
        let countGrams = rareRule != nil && (phase == .whole || phase == .partials)
        try prepareCuration()
        let insertText = try db.prepare("INSERT INTO temp.filter_texts (pair_id, image_id, key) VALUES (?, ?, ?)")
        var counts: [UInt64: UInt32] = [:]
        var hashes: [UInt64] = []
        try db.execute("BEGIN")
        try store.forEachPairText { id, imageID, text in
            let key = tokenizer.hashes(text, into: &hashes)
            let image = imageIndex[imageID] ?? -1
            pairIDs.append(id)
            pairImage.append(image)
            pairKey.append(key)
            pairWords.append(Int16(clamping: hashes.count))
            pairBoilerplate.append(boilerplate?.match(text, hashes: hashes, key: key).map { Int16($0) } ?? -1)
            if let blocklist, image >= 0, textBlocked[image] == nil, let term = blocklist.hit(hashes) { textBlocked[image] = term }
            try insertText.run([.integer(id), .integer(imageID), .integer(Int64(bitPattern: key))])
            observeCuration(text: text, imageSHA: image >= 0 ? imageSHAs[Int(image)] : "")
            if countGrams {
                for (k, h) in hashes.enumerated() {
                    counts[h, default: 0] &+= 1
                    if k > 0 { counts[Tokenizer.bigram(hashes[k - 1], h), default: 0] &+= 1 }
                }
                if counts.count > Self.maxGramsInMemory { try spill(&counts) }
            }
        }
        try db.execute("COMMIT")
        pairDropped = [Int16](repeating: -1, count: pairIDs.count)
        progress("read \(pairIDs.count) texts")
        guard let rareRule else { return }
        switch phase {
        case .whole: try findRareTokens(rareRule, counts: &counts)
        case .partials:
            if spilled {
                try spill(&counts)
                try db.forEach("SELECT hash, n FROM temp.filter_grams") { unitGrams[UInt64(bitPattern: $0.integer(0))] = Int($0.integer(1)) }
            } else {
                for (h, n) in counts { unitGrams[h] = Int(n) }
            }
        case .candidates, .decide:
            guard let globals else { return }
            let total = globals.gramHistogram.values.reduce(0, +)
            var descending = globals.gramHistogram.sorted { $0.key > $1.key }.makeIterator()
            var seen = 0, nth = 1
            let threshold = vocabularyThreshold(rule: rareRule, total: total) { n in
                while seen < n, let (count, grams) = descending.next() { seen += grams; nth = count }
                return nth
            }
            guard let threshold else { return }
            try markRareTexts(Set(globals.gramCounts.compactMap { $0.value < threshold ? $0.key : nil }))
        }
    }

    /// The count a gram of the vocabulary reaches, or nil when nothing is rare; `nthLargest(n)` is
    /// the n-th largest gram count. Writes the rule's note.
    func vocabularyThreshold(rule: Rule, total: Int, nthLargest: (Int) throws -> Int) rethrows -> Int? {
        if rule.int("min_count") > 0 {
            notes[rule.name] = "vocabulary: grams seen at least \(rule.int("min_count")) times"
            return rule.int("min_count")
        }
        let n = max(rule.int("vocabulary_size"), 1)
        guard total > n else {
            notes[rule.name] = "vocabulary: all \(total) grams (fewer than \(n)): nothing is rare; use min_count for a small corpus"
            return nil
        }
        let threshold = try nthLargest(n)
        notes[rule.name] = "vocabulary: top \(n) of \(total) grams (count ≥ \(threshold))"
        return threshold
    }

    /// Merges the held gram counts into `temp.filter_grams` and empties them.
    private func spill(_ counts: inout [UInt64: UInt32]) throws {
        let merge = try db.prepare("INSERT INTO temp.filter_grams (hash, n) VALUES (?, ?) ON CONFLICT(hash) DO UPDATE SET n = n + excluded.n")
        try db.execute("SAVEPOINT grams")
        for (hash, n) in counts.sorted(by: { $0.key < $1.key }) { try merge.run([.integer(Int64(bitPattern: hash)), .integer(Int64(n))]) }
        try db.execute("RELEASE grams")
        counts.removeAll(keepingCapacity: true)
        spilled = true
    }

    /// The vocabulary is the `vocabulary_size` most frequent unigrams and bigrams (every gram
    /// whose count reaches the N-th largest count), or, with `min_count` > 0, every gram seen at
    /// least `min_count` times. A text with any gram outside it has a rare token.
    private func findRareTokens(_ rule: Rule, counts: inout [UInt64: UInt32]) throws {
        if spilled { try spill(&counts) }
        let total = spilled ? try db.query("SELECT count(*) FROM temp.filter_grams").first.flatMap { row -> Int? in
            if case .integer(let v) = row[0] { Int(v) } else { nil } } ?? 0 : counts.count
        let held = counts
        guard let threshold = try vocabularyThreshold(rule: rule, total: total, nthLargest: { n in
            if spilled {
                let nth = try db.query("SELECT n FROM temp.filter_grams ORDER BY n DESC LIMIT 1 OFFSET ?", [.integer(Int64(n - 1))])
                if case .integer(let count)? = nth.first?.first { return Int(count) }
                return 1
            }
            return Int(held.values.sorted(by: >)[n - 1])
        }) else { return }
        var rare = Set<UInt64>()
        if spilled {
            try db.forEach("SELECT hash FROM temp.filter_grams WHERE n < ?", [.integer(Int64(threshold))]) { rare.insert(UInt64(bitPattern: $0.integer(0))) }
        } else {
            for (hash, n) in counts where Int(n) < threshold { rare.insert(hash) }
        }
        counts = [:]
        try markRareTexts(rare)
    }

    /// The second pass over the texts: each text's first gram in `rare`, as the words it was.
    func markRareTexts(_ rare: Set<UInt64>) throws {
        if rare.isEmpty { return }
        var p = 0
        var hashes: [UInt64] = []
        try store.forEachPairText { _, _, text in
            defer { p += 1 }
            _ = tokenizer.hashes(text, into: &hashes)
            for (k, h) in hashes.enumerated() {
                let unigram = rare.contains(h)
                if unigram || (k > 0 && rare.contains(Tokenizer.bigram(hashes[k - 1], h))) {
                    let words = tokenizer.words(text)  // only for the few texts with a rare token
                    pairRare[Int32(p)] = unigram ? words[k] : words[k - 1] + " " + words[k]
                    return
                }
            }
        }
    }
}
