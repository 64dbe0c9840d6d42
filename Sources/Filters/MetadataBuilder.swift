import Catalog
import CurateCore
import Foundation

/// `curate metadata`: MetaCLIP's metadata, built offline (Xu et al., 2023, section 3.1; its
/// released `build_metadata.py` and `build_ngram.py`), from what curate can have: the numbers 0 to
/// 99, the name of every WordNet synset (WordNet 3.0 from Debian's wordnet-base), and, in place of
/// Wikipedia's unigrams (count ≥ 100) and high-PMI bigrams (PMI ≥ 30), the crawl's own: its alt
/// texts and page sentences, tokenized as MetaCLIP tokenizes Wikipedia (whitespace; a CJK-like or
/// punctuation character is a token of its own; a token of punctuation only breaks a bigram; case
/// kept). Sources in that order until `maxEntries`; unigrams most frequent first, bigrams by PMI.
public struct MetadataBuilder {
    public struct Options: Sendable {
        public var workDirectory: String
        public var wordNetFolder = WordNet.defaultFolder
        public var minUnigramCount = 5
        public var minBigramCount = 5
        public var minPMI = 10.0
        public var maxEntries = 500_000
        public var includePageSentences = true
        public var output: String?

        public init(workDirectory: String) { self.workDirectory = workDirectory }
        public var outputPath: String { output ?? workDirectory + "/" + MetadataBuilder.defaultFile }
    }

    /// What was built, source by source.
    public struct Summary: Sendable {
        public var numbers = 0, wordNet = 0, unigrams = 0, bigrams = 0
        public var texts = 0, tokens = 0
        public var entries: Int { numbers + wordNet + unigrams + bigrams }
    }

    public static let defaultFile = "metaclip-metadata.txt"

    let options: Options
    public init(options: Options) { self.options = options }

    /// MetaCLIP's `simple_tokenizer` (`build_ngram.py`): whitespace separates, and every
    /// CJK-like or punctuation character is a token by itself.
    static func tokens(_ text: String, into out: inout [Substring]) {
        out.removeAll(keepingCapacity: true)
        var start: String.Index?
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            let next = text.index(after: i)
            if c.isWhitespace {
                if let s = start { out.append(text[s..<i]); start = nil }
            } else if let scalar = c.unicodeScalars.first, c.unicodeScalars.count == 1, MetadataMatcher.isCJKOrSimilar(scalar) {
                if let s = start { out.append(text[s..<i]); start = nil }
                out.append(text[i..<next])
            } else if start == nil {
                start = i
            }
            i = next
        }
        if let s = start { out.append(text[s...]) }
    }

    static func isPunctuationOnly(_ token: Substring) -> Bool {
        token.unicodeScalars.allSatisfy { MetadataMatcher.punctuation.contains($0) }
    }

    /// Builds the entries and writes them (one per line, after `#` lines that say how) atomically.
    public func build(log: ((String) -> Void)? = nil) throws -> Summary {
        let path = options.workDirectory + "/catalog.sqlite"
        guard FileManager.default.fileExists(atPath: path) else { throw FilterError.noCatalog(path: path) }
        var summary = Summary()
        var unigrams: [String: Int] = [:], bigrams: [String: Int] = [:]
        var tokens: [Substring] = []
        func count(_ text: String) {
            summary.texts += 1
            Self.tokens(text, into: &tokens)
            var previous: Substring?
            for token in tokens {
                if Self.isPunctuationOnly(token) { previous = nil; continue }
                unigrams[String(token), default: 0] += 1
                summary.tokens += 1
                if let previous { bigrams[previous + " " + token, default: 0] += 1 }
                previous = token
            }
        }
        do {
            let store = try CatalogStore(path: path)
            try store.forEachPairText { _, _, text in count(text) }
            if options.includePageSentences { try store.forEachSentenceText { count($0) } }
        } catch let error as CatalogError {
            throw FilterError.catalogRefused(error.description)
        } catch let error as SQLiteError {
            throw FilterError.catalog(error.description)
        }
        log?("counted \(unigrams.count) unigrams and \(bigrams.count) bigrams in \(summary.texts) texts")

        var entries: [String] = [], seen = Set<String>()
        func add(_ entry: String) -> Bool {
            guard entries.count < options.maxEntries else { return false }
            // A lone punctuation character is not an entry (MetaCLIP's `forbidden`); nor is a
            // line the metadata file would read as a comment.
            guard !entry.isEmpty, !(entry.count == 1 && Self.isPunctuationOnly(Substring(entry))), !entry.hasPrefix("#"),
                  !entry.contains(where: \.isNewline), seen.insert(entry).inserted else { return false }
            entries.append(entry)
            return true
        }
        for n in 0..<100 where add(String(n)) { summary.numbers += 1 }
        for name in try WordNet(folder: options.wordNetFolder).synsetNames().sorted() where add(name) { summary.wordNet += 1 }
        for (word, _) in unigrams.filter({ $0.value >= options.minUnigramCount }).sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) where add(word) {
            summary.unigrams += 1
        }
        // NLTK's PMI, as MetaCLIP's build_metadata.py scores Wikipedia's bigrams: log2(n_ab · N / (n_a · n_b)).
        let total = Double(summary.tokens)
        var scored: [(String, Double)] = []
        for (bigram, n) in bigrams where n >= options.minBigramCount {
            guard let space = bigram.firstIndex(of: " ") else { continue }
            let a = unigrams[String(bigram[..<space])] ?? 1, b = unigrams[String(bigram[bigram.index(after: space)...])] ?? 1
            let pmi = log2(Double(n) * total / (Double(a) * Double(b)))
            if pmi >= options.minPMI { scored.append((bigram, pmi)) }
        }
        scored.sort { ($0.1, $1.0) > ($1.1, $0.0) }
        for (bigram, _) in scored where add(bigram) { summary.bigrams += 1 }

        var out = "# MetaCLIP metadata for curate filter's metadata_substring rule, written by curate metadata \(CurateVersion.string)\n"
        out += "# \(summary.entries) entries, in this order: \(summary.numbers) numbers 0-99; \(summary.wordNet) WordNet 3.0 synset names (\(options.wordNetFolder));\n"
        out += "# \(summary.unigrams) unigrams of the crawl seen at least \(options.minUnigramCount) times; \(summary.bigrams) bigrams seen at least \(options.minBigramCount) times with PMI >= \(options.minPMI)\n"
        out += "# (counted over \(summary.texts) texts, \(summary.tokens) tokens: alt texts\(options.includePageSentences ? " and page sentences" : "")). One entry per line; matched case-sensitively.\n"
        for entry in entries { out += entry + "\n" }
        try AtomicFile.write(Array(out.utf8), to: options.outputPath)
        return summary
    }
}
