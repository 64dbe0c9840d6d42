import Catalog
import Crawl
import CurateCore
import Foundation
import Testing
import TestSupport
@testable import Filters

/// Catalogs of texts alone (one image per text, no bytes: the text rules never read them), the
/// corpus captions, and the Python judges (Tests/Python/wordnet_oracle.py, metaclip_oracle.py).
enum Curation {
    /// A catalog in a new folder whose pairs are `texts`, each on its own image; `language` is the
    /// page's declared language.
    static func catalog(_ texts: [String], firstPair: Int64 = 1, language: String? = "en") throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("curate-curation-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let db = try CatalogStore(path: folder + "/catalog.sqlite", create: true).db
        try db.execute("BEGIN")
        try db.query("INSERT INTO sources (id, path, kind, sha256, bytes, status) VALUES (1, 'made', 'warc', 'made', 0, 'done')")
        try db.query("INSERT INTO pages (id, source_id, codec, offset, length, url, language, refs, sentences) VALUES (1, 1, 'none', 0, 0, 'http://example.test/', ?, 0, 0)",
                     [language.map { .text($0) } ?? .null])
        let image = try db.prepare("INSERT INTO images (id, sha256, format, width, height, bytes, source_id, codec, offset, length) VALUES (?, ?, 'jpeg', 400, 300, 1, 1, 'none', 0, 1)")
        let pair = try db.prepare("INSERT INTO pairs (id, image_id, ref_id, page_id, text, text_source) VALUES (?, ?, ?, 1, ?, 'alt')")
        for (i, text) in texts.enumerated() {
            let id = firstPair + Int64(i)
            try image.run([.integer(id), .text(String(format: "%064x", id))])
            try pair.run([.integer(id), .integer(id), .integer(id), .text(text)])
        }
        try db.execute("COMMIT")
        return folder
    }

    static func filter(_ folder: String, _ toml: String, phase: FilterPhase = .whole, globals: FilterGlobals? = nil) throws -> (Filter, FilterReport) {
        var options = FilterOptions(workDirectory: folder, rules: try RuleSet.parse(toml, path: folder + "/rules.toml"))
        options.phase = phase
        let filter = try Filter(options: options, readImage: { _ in throw FilterError.notFound("image bytes") })
        let report = phase == .decide ? try filter.decide(globals: globals!) : try filter.run()
        return (filter, report)
    }

    /// The corpus's English captions: Flickr8k's (40,460) and the COCO subset's.
    static func captions() throws -> [String] {
        guard let root = SharedCorpus.root else { return [] }
        var out: [String] = []
        let flickr = try String(contentsOf: root.appendingPathComponent("text/flickr8k/Flickr8k.token.txt"), encoding: .utf8)
        for line in flickr.split(whereSeparator: \.isNewline) {
            if let tab = line.firstIndex(of: "\t") { out.append(line[line.index(after: tab)...].trimmingCharacters(in: .whitespaces)) }
        }
        let coco = try String(contentsOf: root.appendingPathComponent("text/coco/coco-mini-train2017.jsonl"), encoding: .utf8)
        for line in coco.split(whereSeparator: \.isNewline) {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            out += (object?["captions"] as? [String] ?? []).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        return out
    }

    /// The test venv's Python when it has NLTK (make test-venv), else nil (and the test says so).
    static let python: String? = {
        let path = ProcessInfo.processInfo.environment["CURATE_TEST_PYTHON"] ?? "/tmp/curate-test-venv/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: path), (try? run(path, ["-c", "import nltk"])) != nil else {
            print("skipped: the NLTK judge needs \(path) with nltk (make test-venv)")
            return nil
        }
        return path
    }()

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FilterError.unit("\(executable) \(arguments.joined(separator: " ")) failed: \(String(decoding: errors, as: UTF8.self).suffix(800))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func script(_ name: String) -> String { SharedCorpus.repositoryRoot.appendingPathComponent("Tests/Python/" + name).path }

    static var wordNetInstalled: Bool {
        if FileManager.default.fileExists(atPath: WordNet.defaultFolder + "/index.noun") { return true }
        print("skipped: WordNet tests need Debian's wordnet-base in \(WordNet.defaultFolder) (make setup)")
        return false
    }

    static func words(_ text: String) -> Int { Tokenizer().words(text).count }
}

@Suite struct LanguageTests {
    @Test func cld2NamesCommonLanguagesAndSaysWhenItCannotTell() {
        let cases = ["a dog runs along the beach at sunset": "en", "ein Hund läuft am Strand entlang": "de",
                     "un chien court sur la plage au coucher du soleil": "fr", "un perro pequeño corre por la playa con su dueño al atardecer": "es",
                     "un cane corre sulla spiaggia al tramonto": "it", "夕暮れの浜辺を走る犬の写真": "ja"]
        for (text, language) in cases {
            let guess = LanguageIdentifier.identify(text)
            #expect(guess.language == language && guess.reliable && guess.confidence > 0.5 && guess.confidence <= 1, "\(text): \(guess)")
        }
        // Too little text: CLD2 says so rather than guessing, and the confidence is 0.
        for text in ["red car", "IMG_2031.JPG", "", "1234"] {
            let guess = LanguageIdentifier.identify(text)
            #expect(guess.language == LanguageGuess.unknown && guess.confidence == 0 && !guess.reliable, "\(text): \(guess)")
        }
        #expect(LanguageGuess.primary("en-US") == "en" && LanguageGuess.primary("zh-Hant") == "zh" && LanguageGuess.primary("DE_de") == "de")
        #expect(!LanguageIdentifier.version.isEmpty)
    }

    /// Accuracy per language on texts of known language from the corpus, 3 to 20 words as ALIGN
    /// keeps them: the English captions of Flickr8k and COCO, and the sentences of the corpus's
    /// HTML pages by the language each page declares (pages mix languages — an English menu on a
    /// German page — so a page sentence's label is itself noisy). README: "Where curate departs".
    @Test func accuracyPerLanguageOnTheCorpus() throws {
        guard SharedCorpus.isAvailable else { return }
        var tally: [String: (texts: Int, right: Int, unknown: Int)] = [:]
        func judge(_ text: String, _ language: String) {
            let n = Curation.words(text)
            guard n >= 3 && n <= 20 else { return }
            let guess = LanguageIdentifier.identify(text)
            var row = tally[language] ?? (0, 0, 0)
            row.texts += 1
            if LanguageGuess.primary(guess.language) == language { row.right += 1 }
            if guess.language == LanguageGuess.unknown { row.unknown += 1 }
            tally[language] = row
        }
        let captions = try Curation.captions()
        for caption in captions { judge(caption, "en-captions") }
        // en-captions is English: count "right" against en.
        if var row = tally["en-captions"] {
            row.right = captions.filter { let n = Curation.words($0); return n >= 3 && n <= 20 && LanguageIdentifier.identify($0).language == "en" }.count
            tally["en-captions"] = row
        }
        for url in SharedCorpus.files("html") where url.pathExtension.hasPrefix("htm") {
            let page = HTMLExtractor().extract(utf8: Charset.decode(SharedCorpus.bytes(url), httpCharset: nil).utf8, pageURL: WebURL(parsing: "http://example.org/"))
            guard let declared = page.language.map(LanguageGuess.primary), !declared.isEmpty else { continue }
            for sentence in page.sentences { judge(sentence.text, declared) }
        }
        print("language identification (CLD2 \(LanguageIdentifier.version)) on corpus texts of 3-20 words:")
        for (language, row) in tally.sorted(by: { $0.value.texts > $1.value.texts }) {
            print(String(format: "  %-12@ %6d texts  accuracy %.3f  unknown %.3f", language, row.texts, Double(row.right) / Double(row.texts), Double(row.unknown) / Double(row.texts)))
        }
        let english = try #require(tally["en-captions"])
        #expect(english.texts > 30_000)
        #expect(Double(english.right) / Double(english.texts) >= 0.90)
        let german = try #require(tally["de"])
        #expect(Double(german.right) / Double(german.texts) >= 0.70)
    }

    @Test func languageRuleKeepsWhatItNamesAndStoresEveryLanguage() throws {
        let texts = ["a brown dog runs across the green field", "ein brauner Hund läuft über die grüne Wiese", "red car",
                     "un chien brun court dans le champ vert"]
        let folder = try Curation.catalog(texts, language: "en-GB")
        let rule = "[[rule]]\nname = \"lang\"\ncheck = \"language_in\"\nlanguages = [\"en\"]\n"
        let (_, report) = try Curation.filter(folder, rule)
        #expect(report.row("lang")?.droppedPairs == 3)
        let store = try CatalogStore(path: folder + "/catalog.sqlite")
        #expect(try store.pairLanguage(1)?.language == "en" && store.pairLanguage(2)?.language == "de" && store.pairLanguage(3)?.language == "un")
        #expect(try store.pairLanguage(1)?.declared == "en-GB")
        #expect(try store.decision(.pair, 3)?.detail.text == "CLD2 cannot tell the language")
        #expect(try store.decision(.pair, 2)?.detail.text == "language de, not en")
        // The page's declared language decides what CLD2 cannot; English or German both pass.
        let (_, declared) = try Curation.filter(folder, rule.replacingOccurrences(of: "[\"en\"]", with: "[\"en\", \"de\"]") + "when_unknown = \"declared\"\n")
        #expect(declared.row("lang")?.droppedPairs == 1)
        let (_, strict) = try Curation.filter(folder, rule + "min_confidence = 0.99\nwhen_unknown = \"keep\"\n")
        #expect(strict.row("lang")?.droppedPairs == 3)  // the French, the German, and the English at 0.97
        #expect(try store.decision(.pair, 1)?.detail.text?.hasPrefix("language en at confidence") == true)
    }
}

@Suite struct WordNetTests {
    @Test func baseFormsAndFirstSynsetsAreNLTKs() throws {
        guard Curation.wordNetInstalled else { return }
        let wordNet = try WordNet()
        #expect(wordNet.firstSynset("dogs")?.wnid == "n02084071")
        #expect(wordNet.firstSynset("geese")?.wnid == "n01855672")
        #expect(wordNet.firstSynset("ice cream")?.wnid == "n07614500")
        #expect(wordNet.firstSynset("beautiful")?.pos == .adjective && wordNet.firstSynset("beautiful", of: .noun) == nil)
        #expect(wordNet.firstSynset("qqxqq") == nil)
        // Phrases are looked up only from a word that starts a lemma of several words, or an
        // exception form of one ("chaises_longues" → "chaise_longue": its first word is no lemma's).
        #expect(wordNet.startsPhrase("ice") && wordNet.startsPhrase("teddy") && wordNet.startsPhrase("chaises"))
        #expect(!wordNet.startsPhrase("qqxqq") && !wordNet.startsPhrase("ice_cream"))
        #expect(wordNet.firstSynset("chaises longues")?.wnid == wordNet.firstSynset("chaise longue")?.wnid && wordNet.firstSynset("chaise longue") != nil)
        guard SharedCorpus.isAvailable, let python = Curation.python else { return }
        // Every whitespace token of the corpus captions (as DataComp looks words up), and phrases.
        var words = Set<String>()
        for caption in try Curation.captions() { for word in caption.split(separator: " ") { words.insert(String(word)) } }
        words.formUnion(["ice_cream", "hot_dogs", "teddy_bear", "fire_hydrants", "New_York"])
        let list = words.sorted()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("curate-words-\(UUID().uuidString).txt").path
        try list.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let lines = try Curation.run(python, [Curation.script("wordnet_oracle.py"), "--wordnet", WordNet.defaultFolder, "--words", file])
        var compared = 0, differ: [String] = []
        for line in lines.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let word = try #require(object["word"] as? String)
            let first = object["first"] as? String, firstNoun = object["first_noun"] as? String
            let ours = wordNet.firstSynset(word), oursNoun = wordNet.firstSynset(word, of: .noun)
            // NLTK names adjective satellites `s`; only nouns matter to the rule, so compare those.
            let same = (first?.hasPrefix("n") == true ? ours?.wnid == first : ours?.pos != .noun && (ours == nil) == (first == nil))
                && oursNoun?.wnid == firstNoun
            if !same { differ.append("\(word): NLTK \(first ?? "-")/\(firstNoun ?? "-"), curate \(ours?.wnid ?? "-")/\(oursNoun?.wnid ?? "-")") }
            compared += 1
        }
        print("WordNet: \(compared) words looked up, \(differ.count) differ from NLTK \(differ.prefix(5))")
        #expect(compared == list.count && compared > 8_000)
        #expect(differ.isEmpty)
    }

    @Test func everyImageNetClassIsAWordNetNoun() throws {
        guard Curation.wordNetInstalled else { return }
        let ids = try RuleSet.load(path: "built-in:datacomp-text.toml").list(of: try #require(RuleSet.load(path: "built-in:datacomp-text.toml").rules.first { $0.check == .imagenetEntity }))
        #expect(ids.count == 21_843 && Set(ids).count == ids.count)
        let data = try #require(FileManager.default.contents(atPath: WordNet.defaultFolder + "/data.noun"))
        var offsets = Set<Substring>()
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.first != " " { offsets.insert(line.prefix(8)) }
        let missing = ids.filter { !offsets.contains($0.dropFirst()) }
        #expect(missing.isEmpty, "\(missing.prefix(5))")
    }

    /// DataComp's decisions, as its own code makes them (text.split(), the first synset), against
    /// NLTK's; and the keep rates on the corpus captions next to ALIGN's text rules'.
    @Test func imagenetEntityDecidesAsDataCompAndItsKeepRate() throws {
        guard Curation.wordNetInstalled, SharedCorpus.isAvailable else { return }
        let captions = try Curation.captions()
        let rules = try RuleSet.load(path: "built-in:datacomp-text.toml")
        var rule = try #require(rules.rules.first { $0.check == .imagenetEntity })
        rule.parameters["tokens"] = .string("whitespace")
        let dataComp = try ImagenetEntities(rule: rule, ids: rules.list(of: rule))
        if let python = Curation.python {
            let sample = Array(captions.prefix(3_000))
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("curate-captions-\(UUID().uuidString).txt").path
            let ids = FileManager.default.temporaryDirectory.appendingPathComponent("curate-ids-\(UUID().uuidString).txt").path
            try sample.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
            try rules.list(of: rule).joined(separator: "\n").write(toFile: ids, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file); try? FileManager.default.removeItem(atPath: ids) }
            let lines = try Curation.run(python, [Curation.script("wordnet_oracle.py"), "--captions", file, "--ids", ids]).split(separator: "\n")
            #expect(lines.count == sample.count)
            var differ = 0, offsetsOnly = 0
            for (caption, line) in zip(sample, lines) {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                if dataComp.names(caption) != (object["pos_aware"] as? Bool) { differ += 1 }
                if (object["datacomp"] as? Bool) != (object["pos_aware"] as? Bool) { offsetsOnly += 1 }
            }
            print("imagenet_entity (whitespace tokens) against DataComp's code in NLTK on \(sample.count) captions: \(differ) differ; "
                  + "\(offsetsOnly) kept by DataComp only because a verb's or adjective's offset equals a class's")
            #expect(differ == 0)
        }
        // Keep rates on all corpus captions: ALIGN's text rules and DataComp's entity rule.
        let folder = try Curation.catalog(captions)
        let align = try RuleSet.builtIn().rules.filter { !$0.check.isImageCheck }
        let alignTOML = RuleSet(rules: align, path: "built-in:align.toml").toml.replacingOccurrences(of: "\"boilerplate.txt\"", with: "\"\(Self.boilerplatePath(folder))\"")
        let (_, alignReport) = try Curation.filter(folder, alignTOML)
        var entity = RuleSet(rules: rules.rules.filter { $0.check == .imagenetEntity }, path: "x").toml
        entity = entity.replacingOccurrences(of: "\"imagenet21k-wordnet-ids.txt\"", with: "\"\(Self.idsPath(folder, rules))\"")
        let (_, entityReport) = try Curation.filter(folder, entity)
        let alignRate = Double(alignReport.keptPairs) / Double(captions.count), entityRate = Double(entityReport.keptPairs) / Double(captions.count)
        print(String(format: "keep rate on %d corpus captions: ALIGN's text rules %.3f, DataComp's text_imagenet_entity %.3f", captions.count, alignRate, entityRate))
        #expect(entityRate > 0.5 && entityRate < 1)
    }

    static func boilerplatePath(_ folder: String) -> String {
        let path = folder + "/boilerplate.txt"
        FileManager.default.createFile(atPath: path, contents: Data(RuleSet.builtInFiles["boilerplate.txt"]!))
        return path
    }

    static func idsPath(_ folder: String, _ rules: RuleSet) -> String {
        let path = folder + "/ids.txt"
        FileManager.default.createFile(atPath: path, contents: Data(RuleSet.builtInFiles["imagenet21k-wordnet-ids.txt"]!))
        return path
    }
}

@Suite struct MetaCLIPTests {
    /// A small metadata list: common caption words (some capitalised: matching is case-sensitive),
    /// bigrams, entries with punctuation and CJK, and entries that cannot match.
    static let metadata: [String] = {
        let words = ["a", "dog", "dogs", "black", "white", "man", "woman", "girl", "boy", "two", "in", "on", "the", "of", "with", "is", "are",
                     "water", "grass", "ball", "red", "blue", "running", "runs", "plays", "playing", "street", "beach", "snow", "bike", "child",
                     "people", "shirt", "jacket", "A", "The", "Two", "A dog", "a dog", "black dog", "in the", "on the", "the water", "a man",
                     "a woman", "brown dog", "white dog", "a red", "of a", "grassy field", "jumps over", "dog .", "U.S.", "dog,", "(", "!", "東京", "夜景",
                     "東京の夜景", "zzzqq never", "Mr.", "o'clock", "ice cream", "t-shirt", "a dog ."]
        return words
    }()

    static func texts() throws -> [String] {
        var texts = Array(try Curation.captions().prefix(3_000))
        texts += ["東京の夜景 and a dog", "a dog,running\tin the\nsnow", "the U.S. flag", "dog!", "a dog .", "(a dog)", "Mr. Smith's dog,", "at 5 o'clock"]
        return texts
    }

    static let rules = """
        [[rule]]
        name = "no_match"
        check = "metadata_substring"
        metadata = "metadata.txt"

        [[rule]]
        name = "balance"
        check = "balanced_sampling"
        t = 40
        seed = 7
        """

    func run(_ texts: [String], rules: String = MetaCLIPTests.rules) throws -> (String, Filter, FilterReport) {
        let folder = try Curation.catalog(texts)
        try Self.metadata.joined(separator: "\n").write(toFile: folder + "/metadata.txt", atomically: true, encoding: .utf8)
        let (filter, report) = try Curation.filter(folder, rules)
        return (folder, filter, report)
    }

    @Test func countsEqualTheBruteForceJudgeAndKeptFractionsAreBinomial() throws {
        guard SharedCorpus.isAvailable, let python = Curation.python else { return }
        let texts = try Self.texts()
        let (folder, _, report) = try run(texts)
        let textsFile = folder + "/texts.jsonl", entriesFile = folder + "/entries.json"
        try texts.map { JSONString.quoted($0) }.joined(separator: "\n").write(toFile: textsFile, atomically: true, encoding: .utf8)
        try Data(JSONSerialization.data(withJSONObject: Self.metadata)).write(to: URL(fileURLWithPath: entriesFile))
        let judged = try #require(try JSONSerialization.jsonObject(with: Data(try Curation.run(python, [Curation.script("metaclip_oracle.py"), "--texts", textsFile, "--metadata", entriesFile]).utf8)) as? [String: Any])
        let counts = try #require(judged["counts"] as? [Int]), matched = try #require(judged["matched"] as? [[Int]])
        let rows = try CatalogStore(path: folder + "/catalog.sqlite").metadataEntries()
        var ours = [Int](repeating: 0, count: Self.metadata.count)
        for row in rows { ours[row.entryID] = row.matches }
        for (e, entry) in Self.metadata.enumerated() { #expect(ours[e] == counts[e], "\(entry): curate \(ours[e]), the judge \(counts[e])") }
        #expect(report.row("no_match")?.droppedPairs == matched.filter(\.isEmpty).count)
        #expect(counts[Self.metadata.firstIndex(of: "東京の夜景")!] == 1 && counts[Self.metadata.firstIndex(of: "U.S.")!] == 0)
        // Each entry's own draws keep its pairs with probability t / max(c, t): within four
        // standard deviations of the binomial, entry by entry, and the sum within three.
        var z2 = 0.0, n = 0
        for row in rows where row.reached > 0 {
            let p = 40.0 / Double(max(row.matches, 40))
            #expect(abs(row.probability - p) < 1e-12)
            let mean = Double(row.reached) * p, sd = (Double(row.reached) * p * (1 - p)).squareRoot()
            #expect(abs(Double(row.drawn) - mean) <= 4 * sd + 1e-9, "\(row.entry): drew \(row.drawn) of \(row.reached) at p \(p)")
            if sd > 0 { z2 += pow((Double(row.drawn) - mean) / sd, 2); n += 1 }
        }
        #expect(n > 20 && z2 / Double(n) < 2, "mean squared z \(z2 / Double(n)) over \(n) entries")
        // A pair is kept when any of its entries draws it: each kept pair has a matched entry.
        #expect(report.keptPairs > 0 && report.keptPairs < texts.count - matched.filter(\.isEmpty).count)
    }

    @Test func theKeptSetIsReproducibleAndTheSeedChangesIt() throws {
        let texts = (0..<600).map { "a \(["dog", "cat", "red car", "dog and cat"][$0 % 4]) number \($0)" }
        func kept(_ rules: String) throws -> Set<Int64> {
            let (folder, _, _) = try run(texts, rules: rules)
            let store = try CatalogStore(path: folder + "/catalog.sqlite")
            var out = Set<Int64>()
            try store.db.forEach("SELECT id FROM kept_pairs") { out.insert($0.integer(0)) }
            return out
        }
        let first = try kept(Self.rules), again = try kept(Self.rules), other = try kept(Self.rules.replacingOccurrences(of: "seed = 7", with: "seed = 8"))
        #expect(first == again && first != other && !first.isEmpty)
    }

    @Test func tFromTheTailShareIsMetaCLIPsPToT() {
        // sorted [1,1,2,3,5,8,13,100]: cumulative shares .008 .015 .030 .053 .090 .150 .248 1; 0.1 is nearest .090, at count 5.
        #expect(BalancedSampling.threshold(tailShare: 0.1, counts: [100, 1, 13, 2, 8, 1, 5, 3]) == 5)
        #expect(BalancedSampling.threshold(tailShare: 0.25, counts: [100, 1, 13, 2, 8, 1, 5, 3]) == 13)
        #expect(BalancedSampling.threshold(tailShare: 0.1, counts: [0, 0]) == 1)
    }

    /// The counts of two units, summed as the engine sums them, are one catalog's counts, and each
    /// unit's decisions with them are that catalog's.
    @Test func unitsMergeTheirCountsIntoOneCatalogsDecisions() throws {
        let texts = (0..<400).map { "a \(["dog", "black dog", "man on the beach", "girl in the snow", "zz"][$0 % 5]) \($0 % 7 == 0 ? "with a ball" : "")" }
        let (whole, _, _) = try run(texts)
        var globals = FilterGlobals()
        var folders: [(String, Range<Int>)] = []
        for range in [0..<170, 170..<400] {
            let folder = try Curation.catalog(Array(texts[range]), firstPair: Int64(range.lowerBound + 1))
            try Self.metadata.joined(separator: "\n").write(toFile: folder + "/metadata.txt", atomically: true, encoding: .utf8)
            var options = FilterOptions(workDirectory: folder, rules: try RuleSet.parse(Self.rules, path: folder + "/rules.toml"))
            options.phase = .partials
            _ = try Filter(options: options, readImage: { _ in [] }).writePartials(unit: "u", to: folder)
            for line in try JSONLines.read(FilterUnitLine.self, path: folder + "/partials.jsonl") where line.t == "entry_count" {
                globals.entryCounts[line.rule!, default: [:]][Int32(line.n!), default: 0] += line.count!
            }
            folders.append((folder, range))
        }
        let wholeStore = try CatalogStore(path: whole + "/catalog.sqlite")
        let wholeCounts = Dictionary(uniqueKeysWithValues: try wholeStore.metadataEntries().map { (Int32($0.entryID), $0.matches) })
        #expect(globals.entryCounts["no_match"] == wholeCounts)
        for (folder, range) in folders {
            _ = try Curation.filter(folder, Self.rules, phase: .decide, globals: globals)
            let store = try CatalogStore(path: folder + "/catalog.sqlite")
            for p in range {
                let id = Int64(p + 1)
                #expect(try store.decision(.pair, id)?.rule == wholeStore.decision(.pair, id)?.rule, "pair \(id)")
            }
        }
    }

    @Test func badRulesAndMissingMetadataSayWhatToDo() throws {
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        #expect(message { _ = try RuleSet.parse("[[rule]]\nname = \"b\"\ncheck = \"balanced_sampling\"\nt = 5\n", path: "x.toml") }
            .contains("balanced_sampling needs a metadata_substring rule before it"))
        #expect(message { _ = try RuleSet.parse("[[rule]]\nname = \"l\"\ncheck = \"language_in\"\nwhen_unknown = \"guess\"\n", path: "x.toml") }
            .contains("when_unknown must be one of \"drop\", \"keep\", \"declared\""))
        #expect(message { _ = try RuleSet.parse("[[rule]]\nname = \"l\"\ncheck = \"language_in\"\nmin_confidence = 1.5\n", path: "x.toml") }
            .contains("min_confidence must be between 0 and 1"))
        let folder = try Curation.catalog(["a dog"])
        #expect(message { _ = try Curation.filter(folder, Self.rules) }
            .contains("cannot use \(folder)/metadata.txt, the metadata of rule no_match: no such file; run curate metadata --work WORK first"))
        try "# only a comment\n\n".write(toFile: folder + "/metadata.txt", atomically: true, encoding: .utf8)
        #expect(message { _ = try Curation.filter(folder, Self.rules) }.contains("it holds no entry"))
    }

    @Test func spacingAndPaddingAreMetaCLIPs() {
        var out: [UInt8] = []
        Array("a dog,ran.\tOK!".utf8).withUnsafeBufferPointer { MetadataMatcher.spacing($0, into: &out) }
        #expect(String(decoding: out, as: UTF8.self) == " a dog , ran .  OK !  ")
        #expect(String(decoding: MetadataMatcher.spaced("dog"), as: UTF8.self) == " dog ")
        #expect(String(decoding: MetadataMatcher.spaced("東京"), as: UTF8.self) == "東京")
        #expect(String(decoding: MetadataMatcher.spaced("(dog"), as: UTF8.self) == "(dog ")
        let matcher = MetadataMatcher(entries: ["dog", "a dog", "dog", "東京", "he", "she"])
        var scratch = matcher.scratch(), found: [Int32] = []
        matcher.match("she saw a dog in 東京タワー", scratch: &scratch, into: &found)
        #expect(found == [0, 1, 3, 5] && matcher.repeated == 1)
    }

    /// The automaton finds what a search for every padded entry in the spaced text finds, on
    /// seeded random entries and texts over a small alphabet (so entries overlap, nest and share
    /// prefixes and suffixes) with enough entries that the root's space node and others are wide
    /// enough for rows (`denseThreshold`) while deeper nodes are scanned.
    @Test func theAutomatonFindsWhatABruteForceSearchFinds() {
        var rng = SplitMix(25)
        let alphabet = Array("abcdefghijklmn").map(String.init) + ["é", "東", "-", "'"]
        func word() -> String { (0..<(1 + Int(rng.next() % 4))).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined() }
        func phrase(_ maxWords: UInt64) -> String { (0..<(1 + Int(rng.next() % maxWords))).map { _ in word() }.joined(separator: " ") }
        let entries = (0..<1_200).map { _ in phrase(3) }
        let matcher = MetadataMatcher(entries: entries)
        #expect(matcher.rowCount > 1 && matcher.rowCount < matcher.nodeCount / 10, "\(matcher.rowCount) rows")
        var firstOf: [[UInt8]: Int32] = [:]  // a repeated entry is found as its first occurrence
        for (e, entry) in entries.enumerated() where firstOf[MetadataMatcher.spaced(entry)] == nil { firstOf[MetadataMatcher.spaced(entry)] = Int32(e) }
        var scratch = matcher.scratch(), found: [Int32] = [], spaced: [UInt8] = []
        for _ in 0..<200 {
            let text = phrase(12) + (rng.next() % 3 == 0 ? ", " + phrase(4) + "." : "")
            found.removeAll()
            matcher.match(text, scratch: &scratch, into: &found)
            Array(text.utf8).withUnsafeBufferPointer { MetadataMatcher.spacing($0, into: &spaced) }
            var expected: [Int32] = []
            for (key, e) in firstOf where spaced.count >= key.count
                && (0...(spaced.count - key.count)).contains(where: { spaced[$0..<($0 + key.count)].elementsEqual(key) }) {
                expected.append(e)
            }
            #expect(found == expected.sorted(), "\(text)")
        }
    }
}
