import Catalog
import Foundation

/// A sentence corpus from files (`--corpus`): one sentence per line, or prose split into sentences.
///
/// A file is prose when at least half of its non-empty lines do not end a sentence (they wrap, as in a
/// Project Gutenberg book) and it has blank lines between paragraphs; then each paragraph's lines
/// are joined and split after `.`, `!` or `?` (with closing quotes or brackets) followed by a space
/// and an upper-case letter, a digit or an opening quote, except after Mr, Mrs, Ms, Dr, St, vs and
/// single letters. Otherwise every non-empty line is one sentence. A folder is every `.txt` file in
/// it, sorted by name. Sentences shorter than 3 characters are skipped.
public enum SentenceCorpus {
    public static func sentences(in paths: [String]) throws -> [(source: String, text: String)] {
        var files: [String] = []
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw AlignError.corpusUnreadable(path: path) }
            if isFolder.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.filter { $0.hasSuffix(".txt") }.sorted().map { path + "/" + $0 }
            } else {
                files.append(path)
            }
        }
        var out: [(String, String)] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { throw AlignError.corpusUnreadable(path: file) }
            var text = String(decoding: data, as: UTF8.self)
            if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
            let name = (file as NSString).lastPathComponent
            out += split(text).map { (name, $0) }
        }
        return out
    }

    static func split(_ text: String) -> [String] {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        let nonEmpty = lines.filter { !$0.isEmpty }
        let ends: Set<Character> = [".", "!", "?", "\"", "'", "”", "’", ")"]
        let wrapped = nonEmpty.filter { !ends.contains($0.last!) }.count
        let prose = nonEmpty.count > 0 && Double(wrapped) / Double(nonEmpty.count) >= 0.5 && lines.contains("")
        guard prose else { return nonEmpty.filter { $0.count >= 3 } }
        var sentences: [String] = [], paragraph: [String] = []
        func flush() {
            if !paragraph.isEmpty { sentences += splitProse(paragraph.joined(separator: " ")) }
            paragraph = []
        }
        for line in lines { if line.isEmpty { flush() } else { paragraph.append(line) } }
        flush()
        return sentences.filter { $0.count >= 3 }
    }

    static func splitProse(_ paragraph: String) -> [String] {
        let chars = Array(paragraph)
        let closers: Set<Character> = ["\"", "'", "”", "’", ")", "]"]
        let abbreviations: Set<String> = ["mr", "mrs", "ms", "dr", "st", "vs", "jr", "sr", "e.g", "i.e"]
        var out: [String] = [], start = 0, i = 0
        while i < chars.count {
            if chars[i] == "." || chars[i] == "!" || chars[i] == "?" {
                var end = i + 1
                while end < chars.count && closers.contains(chars[end]) { end += 1 }
                if end < chars.count - 1 && chars[end] == " " {
                    let next = chars[end + 1]
                    let word = String(chars[start..<i]).split(separator: " ").last.map { $0.lowercased() } ?? ""
                    let abbreviation = chars[i] == "." && (abbreviations.contains(word) || word.count == 1)
                    if !abbreviation && (next.isUppercase || next.isNumber || next == "\"" || next == "“" || next == "'") {
                        out.append(String(chars[start..<end]).trimmingCharacters(in: .whitespaces))
                        start = end + 1
                        i = end
                    }
                }
            }
            i += 1
        }
        let rest = String(chars[min(start, chars.count)...]).trimmingCharacters(in: .whitespaces)
        if !rest.isEmpty { out.append(rest) }
        return out
    }
}
