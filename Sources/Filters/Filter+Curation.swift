import Catalog
import CurateCore
import Foundation

// The curation rules beyond ALIGN's (README: "Where curate departs from the papers"):
//   language_in          CLD2's language of every text (Language.swift), stored for every pair
//   imagenet_entity      DataComp's text-based filter: a word or phrase whose WordNet synset is an
//                        ImageNet-21k class (ImagenetEntities below, WordNet.swift)
//   metadata_substring   MetaCLIP's substring matching against metadata entries (MetadataMatcher.swift)
//   balanced_sampling    MetaCLIP's balancing: an entry matched c times keeps each of its pairs with
//                        probability t / max(c, t); a pair is kept when any of its entries keeps it
//
// The counts per entry are over every pair of the crawl that the per-text rules before the
// matching rule keep (language, length, boilerplate, entity: rules that look at one text alone);
// rules that need the whole crawl's figures (the image rules, shared texts, rare tokens) do not
// thin the counts, so one catalog and a crawl split in units count the same (FilterUnits.swift
// merges the counts as sums).

/// What the curation rules hold per pair, and their results.
struct CurationState {
    // Language, for every pair: an index into `languageCodes`, and the confidence.
    var languageCodes: [String] = []
    var languageIndex: [String: UInt16] = [:]
    var pairLanguage: [UInt16] = []
    var pairConfidence: [Float] = []
    /// The declared language of each pair's page (`<html lang>`), read when a rule needs it.
    var pageLanguages: [String?]?

    var entities: ImagenetEntities?
    var pairNamesEntity: [Bool] = []

    var matcher: MetadataMatcher?
    var matcherScratch: MetadataMatcher.Scratch?
    /// Rule index of the metadata_substring rule.
    var matchRule: Int?
    /// Each pair's matched entries: `entryIDs[entryStart[p] ..< entryStart[p + 1]]`.
    var entryStart: [Int32] = [0]
    var entryIDs: [Int32] = []
    /// A number from each pair's content (its image's SHA-256 and its text): its draws.
    var pairSeed: [UInt64] = []
    /// Per entry: the matches balancing uses, the pairs that reached the balancing rule, those its
    /// own draw kept, and those kept in the end.
    var entryMatches: [Int] = []
    var entryReached: [Int] = []
    var entryDrawn: [Int] = []
    var entryKept: [Int] = []
    var entryProbability: [Double] = []

    func entries(_ p: Int) -> ArraySlice<Int32> { entryIDs[Int(entryStart[p])..<Int(entryStart[p + 1])] }
}

extension Check {
    /// Checks that decide from one pair's text alone (so they can run before the counts).
    var isLocalText: Bool {
        switch self { case .minWords, .maxWords, .boilerplate, .languageIn, .imagenetEntity: true; default: false }
    }
}

extension Filter {
    // MARK: reading the texts

    /// Loads what the enabled curation rules need before the texts are read.
    func prepareCuration() throws {
        if let rule = rules.first(where: { $0.enabled && $0.check == .imagenetEntity }) {
            curation.entities = try ImagenetEntities(rule: rule, ids: options.rules.list(of: rule))
        }
        let matchers = rules.indices.filter { rules[$0].enabled && rules[$0].check == .metadataSubstring }
        if matchers.count > 1 { throw FilterError.badRules(path: options.rules.path, what: "more than one metadata_substring rule is enabled") }
        if let r = matchers.first, phase != .candidates {
            let rule = rules[r]
            let file = rule.string("metadata")
            let path = file.hasPrefix("/") ? file : options.workDirectory + "/" + file
            let entries = try MetadataFile.read(path: path, rule: rule.name)
            let started = Date()
            curation.matcher = MetadataMatcher(entries: entries)
            curation.matcherScratch = curation.matcher!.scratch()
            curation.matchRule = r
            progress(String(format: "metadata: %d entries, automaton of %d nodes in %.1f s", entries.count, curation.matcher!.nodeCount, Date().timeIntervalSince(started)))
        }
    }

    /// One pair's text as it is read: its language, whether it names an ImageNet class, its
    /// metadata matches.
    func observeCuration(text: String, imageSHA: String) {
        let guess = LanguageIdentifier.identify(text)
        let code: UInt16
        if let known = curation.languageIndex[guess.language] { code = known } else {
            code = UInt16(curation.languageCodes.count)
            curation.languageCodes.append(guess.language)
            curation.languageIndex[guess.language] = code
        }
        curation.pairLanguage.append(code)
        curation.pairConfidence.append(Float(guess.confidence))
        if let entities = curation.entities { curation.pairNamesEntity.append(entities.names(text)) }
        if let matcher = curation.matcher {
            // Taken out of `curation` while matching: one exclusive access at a time.
            var scratch = curation.matcherScratch.take()!
            matcher.match(text, scratch: &scratch, into: &curation.entryIDs)
            curation.matcherScratch = scratch
            curation.entryStart.append(Int32(curation.entryIDs.count))
            curation.pairSeed.append(BalancedSampling.contentSeed(imageSHA: imageSHA, text: text))
        }
    }

    // MARK: the per-text checks

    /// Why `rule` (a per-text check) drops pair `p`, or nil when it keeps it.
    func localTextDrop(_ rule: Rule, _ p: Int) throws -> String? {
        switch rule.check {
        case .minWords:
            let limit = rule.int("min_words")
            return Int(pairWords[p]) < limit ? "\(pairWords[p]) words, fewer than \(limit)" : nil
        case .maxWords:
            let limit = rule.int("max_words")
            return Int(pairWords[p]) > limit ? "\(pairWords[p]) words, more than \(limit)" : nil
        case .boilerplate:
            return pairBoilerplate[p] >= 0 ? "matches \(boilerplate?.entries[Int(pairBoilerplate[p])].description ?? "")" : nil
        case .languageIn:
            return try languageDrop(rule, p)
        case .imagenetEntity:
            return curation.pairNamesEntity.isEmpty || curation.pairNamesEntity[p] ? nil : "names no ImageNet-21k class through WordNet"
        default:
            return nil
        }
    }

    private func languageDrop(_ rule: Rule, _ p: Int) throws -> String? {
        let wanted = Set(rule.strings("languages").map { $0.lowercased() })
        func wants(_ code: String) -> Bool { wanted.contains(code.lowercased()) || wanted.contains(LanguageGuess.primary(code)) }
        let code = curation.languageCodes[Int(curation.pairLanguage[p])]
        let confidence = Double(curation.pairConfidence[p])
        if code == LanguageGuess.unknown {
            switch rule.string("when_unknown") {
            case "keep": return nil
            case "declared":
                if curation.pageLanguages == nil { curation.pageLanguages = try store.pairPageLanguages() }
                guard let declared = curation.pageLanguages?[p], !declared.isEmpty else { return "CLD2 cannot tell the language and the page declares none" }
                return wants(declared) ? nil : "CLD2 cannot tell the language; the page declares \(declared)"
            default: return "CLD2 cannot tell the language"
            }
        }
        if !wants(code) { return "language \(code), not \(rule.strings("languages").joined(separator: " or "))" }
        let minimum = rule.double("min_confidence")
        if confidence < minimum {
            return String(format: "language %@ at confidence %.2f, below %.2f", code, confidence, minimum)
        }
        return nil
    }

    // MARK: counts and balancing

    /// Counts each entry's matches over the pairs the per-text rules before the matching rule
    /// keep; in a unit's decide phase the counts are the whole crawl's, from the engine.
    func countEntries() throws {
        guard let r = curation.matchRule, let matcher = curation.matcher else { return }
        let entries = matcher.entries.count
        var counts = [Int](repeating: 0, count: entries)
        if phase == .decide || phase == .candidates {
            guard let globals else { throw FilterError.unit("the metadata counts need globals.jsonl") }
            for (entry, n) in globals.entryCounts[rules[r].name] ?? [:] where Int(entry) < entries { counts[Int(entry)] = n }
        } else {
            let before = rules[..<r].filter { $0.enabled && $0.check.isLocalText }
            for p in pairIDs.indices {
                if try before.contains(where: { try localTextDrop($0, p) != nil }) { continue }
                for e in curation.entries(p) { counts[Int(e)] += 1 }
            }
        }
        curation.entryMatches = counts
        curation.entryReached = [Int](repeating: 0, count: entries)
        curation.entryDrawn = [Int](repeating: 0, count: entries)
        curation.entryKept = [Int](repeating: 0, count: entries)
        curation.entryProbability = [Double](repeating: 1, count: entries)
        let matched = counts.lazy.filter { $0 > 0 }.count
        notes[rules[r].name] = "\(entries) metadata entries, \(matched) matched at least once" + (matcher.repeated > 0 ? " (\(matcher.repeated) repeated entries never match)" : "")
    }

    /// balanced_sampling over the pairs still kept.
    func balance(_ r: Int) {
        let rule = rules[r]
        let counts = curation.entryMatches
        let sampling = BalancedSampling(counts: counts, t: rule.int("t"), tailShare: rule.double("tail_share"), seed: rule.int("seed"))
        let t = sampling.threshold
        curation.entryProbability = sampling.probability
        for p in pairIDs.indices where pairDropped[p] < 0 {
            var kept = false
            var likeliest: Int32 = -1
            for e in curation.entries(p) {
                curation.entryReached[Int(e)] += 1
                if sampling.keeps(pair: curation.pairSeed[p], entry: e) { curation.entryDrawn[Int(e)] += 1; kept = true }
                if likeliest < 0 || curation.entryProbability[Int(e)] > curation.entryProbability[Int(likeliest)] { likeliest = e }
            }
            if !kept {
                let detail: String
                if likeliest >= 0 {
                    let entry = curation.matcher?.entries[Int(likeliest)] ?? ""
                    detail = String(format: "not drawn: %d entries, the likeliest \"%@\" (matched %d times, kept with probability %.4f)",
                                    curation.entries(p).count, entry, counts[Int(likeliest)], curation.entryProbability[Int(likeliest)])
                } else {
                    detail = "matches no metadata entry"
                }
                dropPair(p, rule: r, detail)
            }
        }
        let head = counts.lazy.filter { $0 > t }.count
        let tailShare = Double(counts.lazy.filter { $0 < t }.reduce(0, +)) / Double(max(1, counts.reduce(0, +)))
        notes[rule.name] = (rule.int("t") > 0 ? "t = \(t) (given)" : String(format: "t = %d (from tail share %.2f)", t, rule.double("tail_share")))
            + String(format: ": %d head entries matched more than t times; entries below t hold %.1f%% of the matches", head, tailShare * 100)
    }

    /// After every rule: how many of each entry's pairs were kept in the end.
    func countKeptEntries() {
        guard curation.matcher != nil, !curation.entryKept.isEmpty else { return }
        for p in pairIDs.indices where pairDropped[p] < 0 { for e in curation.entries(p) { curation.entryKept[Int(e)] += 1 } }
    }

    /// The rows of `metadata_entries`: every entry matched or reached at least once.
    func metadataRows() -> [MetadataEntryRow] {
        guard let r = curation.matchRule, let matcher = curation.matcher else { return [] }
        let sampling = rules.contains { $0.enabled && $0.check == .balancedSampling }
        return curation.entryMatches.indices.compactMap { e in
            guard curation.entryMatches[e] > 0 || curation.entryReached[e] > 0 else { return nil }
            return MetadataEntryRow(rule: rules[r].name, entryID: e, entry: matcher.entries[e], matches: curation.entryMatches[e],
                                    probability: sampling ? curation.entryProbability[e] : 1, reached: curation.entryReached[e],
                                    drawn: curation.entryDrawn[e], kept: curation.entryKept[e])
        }
    }
}

/// A metadata file: one entry per line, `#` lines are comments (curate metadata writes it).
public enum MetadataFile {
    public static func read(path: String, rule: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FilterError.metadataUnreadable(path: path, rule: rule, reason: FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw FilterError.metadataUnreadable(path: path, rule: rule, reason: "not UTF-8") }
        let entries = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !entries.isEmpty else { throw FilterError.metadataUnreadable(path: path, rule: rule, reason: "it holds no entry") }
        return entries
    }
}

/// DataComp's text-based filter: whether a word or phrase of a text has, as its first WordNet
/// synset, a noun synset of the ImageNet-21k class list.
final class ImagenetEntities {
    let wordNet: WordNet
    let classes: Set<Int>
    let anyPartOfSpeech: Bool
    let whitespace: Bool
    let maxPhrase: Int
    private var known: [String: Bool] = [:]
    private let tokenizer = Tokenizer()

    init(rule: Rule, ids: [String]) throws {
        wordNet = try WordNet(folder: rule.string("wordnet"))
        var classes = Set<Int>()
        for id in ids {
            guard id.first == "n", let offset = Int(id.dropFirst()) else {
                throw FilterError.badRules(path: rule.string("list"), what: "\(id) is not a WordNet noun id like n02084071")
            }
            classes.insert(offset)
        }
        self.classes = classes
        anyPartOfSpeech = rule.string("synset") == "first"
        whitespace = rule.string("tokens") == "whitespace"
        maxPhrase = rule.int("max_phrase_words")
    }

    /// Whether `word` (or a phrase joined by `_`) maps to a class.
    func isClass(_ word: String) -> Bool {
        if let answer = known[word] { return answer }
        let first = wordNet.firstSynset(word, of: anyPartOfSpeech ? nil : .noun)
        let answer = first.map { $0.pos == .noun && classes.contains($0.offset) } ?? false
        known[word] = answer
        return answer
    }

    func names(_ text: String) -> Bool {
        if whitespace {
            // DataComp's own tokens: `text.split()`, punctuation left on the words.
            return text.split(whereSeparator: { $0.isWhitespace }).contains { isClass(String($0)) }
        }
        let words = tokenizer.words(text)
        for i in words.indices {
            let longest = wordNet.startsPhrase(words[i]) ? min(maxPhrase, words.count - i) : 1
            for n in stride(from: longest, through: 1, by: -1) {
                let phrase = n == 1 ? words[i] : words[i..<(i + n)].joined(separator: "_")
                if n > 1 && !wordNet.containsPhrase(phrase) { continue }
                if isClass(phrase) { return true }
            }
        }
        return false
    }
}

extension WordNet {
    /// Whether a phrase (or one of its base forms) is a lemma: phrases are looked up only then.
    func containsPhrase(_ phrase: String) -> Bool {
        contains(phrase) || PartOfSpeech.allCases.contains { !baseForms(phrase, $0).isEmpty }
    }
}
