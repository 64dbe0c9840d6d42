import Foundation

/// Princeton WordNet 3.0 as Debian's `wordnet-base` installs it (`/usr/share/wordnet`): the index
/// files (lemma → synset offsets, most frequent sense first), the exception lists, and the first
/// lemma of every synset. Read the way NLTK's WordNet reader reads them, so that a word's first
/// synset is the one `nltk.corpus.wordnet.synsets(word)[0]` gives (DataComp's text-based filter)
/// and a synset's name is NLTK's (MetaCLIP's metadata); `Tests/Python/wordnet_oracle.py` holds
/// the two together.
public final class WordNet: Sendable {
    public enum PartOfSpeech: Character, Sendable, CaseIterable {
        case noun = "n", verb = "v", adjective = "a", adverb = "r"
        var file: String {
            switch self { case .noun: "noun"; case .verb: "verb"; case .adjective: "adj"; case .adverb: "adv" }
        }
        /// NLTK's morphological substitutions (WordNet's "morphy" detachment rules), in its order.
        var substitutions: [(String, String)] {
            switch self {
            case .noun: [("s", ""), ("ses", "s"), ("ves", "f"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y")]
            case .verb: [("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", "")]
            case .adjective: [("er", ""), ("est", ""), ("er", "e"), ("est", "e")]
            case .adverb: []
            }
        }
    }

    /// A synset: its part of speech and its byte offset in `data.POS` (ImageNet's `n02084071`).
    public struct Synset: Hashable, Sendable {
        public var pos: PartOfSpeech
        public var offset: Int
        /// ImageNet's name for a noun synset: `n` and the offset in eight digits.
        public var wnid: String { String(pos.rawValue) + String(repeating: "0", count: max(0, 8 - String(offset).count)) + String(offset) }
    }

    public static let defaultFolder = "/usr/share/wordnet"

    public let folder: String
    /// lemma (lower case, words joined by `_`) → part of speech → offsets, most frequent first.
    private let index: [String: [PartOfSpeech: [Int]]]
    private let exceptions: [PartOfSpeech: [String: [String]]]
    /// The first word of every lemma or exception form of several words: a phrase starting with
    /// any other word is no lemma, whatever its ending (morphy changes endings only).
    private let phraseFirstWords: Set<String>

    /// Reads the four index files and exception lists of `folder`.
    public init(folder: String = WordNet.defaultFolder) throws {
        self.folder = folder
        var index: [String: [PartOfSpeech: [Int]]] = [:]
        var exceptions: [PartOfSpeech: [String: [String]]] = [:]
        for pos in PartOfSpeech.allCases {
            let path = folder + "/index." + pos.file
            guard let data = FileManager.default.contents(atPath: path) else { throw FilterError.wordNetMissing(path: path) }
            for line in data.split(separator: UInt8(ascii: "\n")) where line.first != UInt8(ascii: " ") {
                let fields = line.split(separator: UInt8(ascii: " "))
                // lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...
                guard fields.count >= 6, let synsets = Int(String(decoding: fields[2], as: UTF8.self)),
                      let pointers = Int(String(decoding: fields[3], as: UTF8.self)), fields.count >= 6 + pointers + synsets - 0 else { continue }
                let first = 4 + pointers + 2
                guard fields.count >= first + synsets else { continue }
                let offsets = fields[first..<(first + synsets)].compactMap { Int(String(decoding: $0, as: UTF8.self)) }
                index[String(decoding: fields[0], as: UTF8.self), default: [:]][pos] = offsets
            }
            if let data = FileManager.default.contents(atPath: folder + "/" + pos.file + ".exc") {
                var map: [String: [String]] = [:]
                for line in data.split(separator: UInt8(ascii: "\n")) {
                    let words = line.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
                    if words.count >= 2 { map[words[0], default: []] += words.dropFirst() }
                }
                exceptions[pos] = map
            }
        }
        self.index = index
        self.exceptions = exceptions
        var firstWords = Set<String>()
        for lemma in index.keys { if let cut = lemma.firstIndex(of: "_") { firstWords.insert(String(lemma[..<cut])) } }
        for map in exceptions.values {
            for form in map.keys { if let cut = form.firstIndex(of: "_") { firstWords.insert(String(form[..<cut])) } }
        }
        phraseFirstWords = firstWords
    }

    /// Whether some lemma of several words (or an exception form of one) starts with `word`.
    public func startsPhrase(_ word: String) -> Bool { phraseFirstWords.contains(word) }

    /// The base forms of `form` that WordNet lists under `pos`, as NLTK's `_morphy` (3.9 and later)
    /// finds them: the form itself and either its exception list's forms or one round of the
    /// substitutions, those WordNet lists, in that order.
    public func baseForms(_ form: String, _ pos: PartOfSpeech) -> [String] {
        let forms = exceptions[pos]?[form] ?? pos.substitutions.compactMap { old, new in
            form.hasSuffix(old) ? String(form.dropLast(old.count)) + new : nil
        }
        var seen = Set<String>(), out: [String] = []
        for candidate in [form] + forms where index[candidate]?[pos] != nil && seen.insert(candidate).inserted { out.append(candidate) }
        return out
    }

    /// `word`'s synsets in NLTK's order (nouns, verbs, adjectives, adverbs; within each, base form
    /// by base form, most frequent sense first). `word` is lower-cased, spaces become `_`.
    public func synsets(_ word: String, only pos: PartOfSpeech? = nil) -> [Synset] {
        let lemma = word.lowercased().replacingOccurrences(of: " ", with: "_")
        var out: [Synset] = []
        for p in PartOfSpeech.allCases where pos == nil || pos == p {
            for form in baseForms(lemma, p) { out += (index[form]?[p] ?? []).map { Synset(pos: p, offset: $0) } }
        }
        return out
    }

    /// The first synset of `word`: of any part of speech (`firstOf: nil`, DataComp's
    /// `wordnet.synsets(word)[0]`), or of one.
    public func firstSynset(_ word: String, of pos: PartOfSpeech? = nil) -> Synset? {
        let lemma = word.lowercased().replacingOccurrences(of: " ", with: "_")
        for p in PartOfSpeech.allCases where pos == nil || pos == p {
            for form in baseForms(lemma, p) { if let first = index[form]?[p]?.first { return Synset(pos: p, offset: first) } }
        }
        return nil
    }

    /// Every synset's name as NLTK gives it, without the part of speech and sense number: the
    /// first lemma, lower-cased, its syntactic marker (`(a)`, `(p)`, `(ip)`) dropped, `_` as spaces.
    /// MetaCLIP's WordNet entries are these names.
    public func synsetNames() throws -> [String] {
        var out: [String] = []
        for pos in PartOfSpeech.allCases {
            let path = folder + "/data." + pos.file
            guard let data = FileManager.default.contents(atPath: path) else { throw FilterError.wordNetMissing(path: path) }
            for line in data.split(separator: UInt8(ascii: "\n")) where line.first != UInt8(ascii: " ") {
                // offset lex_filenum ss_type w_cnt word lex_id ...
                let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 5)
                guard fields.count >= 5 else { continue }
                var name = String(decoding: fields[4], as: UTF8.self).lowercased()
                if name.hasSuffix(")"), let open = name.lastIndex(of: "(") { name = String(name[..<open]) }
                out.append(name.replacingOccurrences(of: "_", with: " "))
            }
        }
        return out
    }

    /// Whether `lemma` (lower case, `_` between words) is listed under any part of speech.
    public func contains(_ lemma: String) -> Bool { index[lemma] != nil }
}
