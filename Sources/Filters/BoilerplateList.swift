import CurateCore
/// curate's own list of texts that say nothing about their image, read from Sources/Filters/Rules/boilerplate.txt (built in):
/// one entry per line, `exact WORDS` (the whole text is these words), `prefix WORDS` (the text
/// starts with them) or `regex PATTERN` (a Swift regular expression over the whole trimmed text,
/// tried on texts of at most `regexMaxWords` words). Words are compared after the tokenizer's
/// lower-casing and splitting, so `Click here!` is `click here`.
public struct BoilerplateList: Sendable {
    public enum Entry: Sendable, CustomStringConvertible {
        case exact(String), prefix([String]), regex(String)
        public var description: String {
            switch self {
            case .exact(let words): "exact \"\(words)\""
            case .prefix(let words): "prefix \"\(words.joined(separator: " "))\""
            case .regex(let pattern): "regex \(pattern)"
            }
        }
    }

    public let entries: [Entry]
    private let exact: [UInt64: Int]                       // text key → entry
    private let prefixes: [(hashes: [UInt64], entry: Int)]
    nonisolated(unsafe) private let regexes: [(regex: Regex<AnyRegexOutput>, entry: Int)]
    public static let regexMaxWords = 6

    public init(lines: [String], source: String) throws {
        let tokenizer = Tokenizer()
        var entries: [Entry] = [], exact: [UInt64: Int] = [:], prefixes: [([UInt64], Int)] = [], regexes: [(Regex<AnyRegexOutput>, Int)] = []
        for (number, line) in lines.enumerated() {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw FilterError.badRules(path: source, what: "entry \(number + 1) \"\(line)\" is not KIND TEXT") }
            switch parts[0] {
            case "exact":
                let words = tokenizer.words(parts[1])
                exact[Tokenizer.textKey(words)] = entries.count
                entries.append(.exact(words.joined(separator: " ")))
            case "prefix":
                let words = tokenizer.words(parts[1])
                prefixes.append((words.map(Tokenizer.hash), entries.count))
                entries.append(.prefix(words))
            case "regex":
                do { regexes.append((try Regex(parts[1]), entries.count)) } catch {
                    throw FilterError.badRules(path: source, what: "entry \(number + 1): bad regex \(parts[1]) (\(error))")
                }
                entries.append(.regex(parts[1]))
            default:
                throw FilterError.badRules(path: source, what: "entry \(number + 1): kind \(parts[0]) is not exact, prefix or regex")
            }
        }
        self.entries = entries
        self.exact = exact
        self.prefixes = prefixes
        self.regexes = regexes
    }

    /// The index of the first entry `text` matches, or nil; `hashes` and `key` are its words'
    /// hashes and its key (Tokenizer.hashes). Regular expressions are only tried on texts of at
    /// most `regexMaxWords` words that hold a digit or a dot (what file names and sizes hold).
    public func match(_ text: String, hashes: [UInt64], key: UInt64) -> Int? {
        if let hit = exact[key] { return hit }
        for (prefix, entry) in prefixes where hashes.count >= prefix.count && hashes.starts(with: prefix) { return entry }
        if !regexes.isEmpty && hashes.count <= Self.regexMaxWords && text.utf8.contains(where: { $0 == 0x2E || ($0 >= 0x30 && $0 <= 0x39) }) {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            for (regex, entry) in regexes where (try? regex.wholeMatch(in: trimmed)) != nil { return entry }
        }
        return nil
    }

    /// `match` for a text not yet hashed.
    public func match(_ text: String) -> Int? {
        var hashes: [UInt64] = []
        let key = Tokenizer().hashes(text, into: &hashes)
        return match(text, hashes: hashes, key: key)
    }
}

import Foundation
