// The rule file's text, checked before TOMLKit parses it. TOMLKit's parser (toml++, built without
// NDEBUG by SwiftPM) asserts, and so aborts the process, on some malformed input instead of
// reporting an error: the fuzzer found `[` then U+FFFD, `[[(ule]]`, and `}` inside nested arrays.
// Rule files need only a small part of TOML, so only that part is let through: comments,
// `[table]`/`[[table]]` headers, and `key = value` with strings (basic, literal, multi-line),
// numbers, booleans and arrays of them. Everything else is a one-line error with its line.
extension RuleSet {
    /// The first line that is not in the subset of TOML rule files use, and what is wrong with it.
    static func textProblem(_ text: String) -> (line: Int, problem: String)? {
        var scanner = RuleText(Array(text.unicodeScalars))
        do { try scanner.document() } catch let error as RuleText.Problem { return (error.line, error.what) } catch { return (scanner.line, "\(error)") }
        return nil
    }
}

/// A recursive-descent reader of the TOML subset above; it checks and keeps nothing.
struct RuleText {
    struct Problem: Error { var line: Int, what: String }

    let s: [Unicode.Scalar]
    var i = 0
    var line = 1
    init(_ s: [Unicode.Scalar]) { self.s = s }

    var current: Unicode.Scalar? { i < s.count ? s[i] : nil }
    func problem(_ what: String) -> Problem { Problem(line: line, what: what) }
    func at(_ k: Int, _ c: Unicode.Scalar) -> Bool { i + k < s.count && s[i + k] == c }

    static func isBare(_ c: Unicode.Scalar) -> Bool { c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-") }

    mutating func spaces() { while current == " " || current == "\t" { i += 1 } }

    /// A comment (if any), then the end of the line or of the file.
    mutating func endOfLine() throws {
        spaces()
        if current == "#" {
            i += 1
            while let c = current, c != "\n" {
                if c.value < 0x20 && c != "\t" && !(c == "\r" && at(1, "\n")) || c.value == 0x7F { throw problem("a control character in a comment") }
                i += 1
            }
        }
        if current == "\r" && at(1, "\n") { i += 1 }
        guard let c = current else { return }
        guard c == "\n" else { throw problem(c.isASCII ? "unexpected \"\(c)\" after the value" : "U+\(String(c.value, radix: 16, uppercase: true)) outside a string or comment (TOML keys and values are ASCII)") }
        i += 1
        line += 1
    }

    mutating func document() throws {
        while i < s.count {
            spaces()
            switch current {
            case "[": try header()
            case "#", "\n", "\r", nil: break
            default: try keyValue()
            }
            try endOfLine()
        }
    }

    mutating func header() throws {
        i += 1
        let double = current == "["
        if double { i += 1 }
        try dottedKey("a table header is [name] or [[name]] with a bare or quoted name")
        guard current == "]" else { throw problem("a table header is [name] or [[name]] with a bare or quoted name") }
        i += 1
        if double {
            guard current == "]" else { throw problem("a table header opened with [[ closes with ]]") }
            i += 1
        }
    }

    mutating func keyValue() throws {
        try dottedKey("a line is a comment, a [table] header or key = value")
        guard current == "=" else { throw problem("a line is a comment, a [table] header or key = value") }
        i += 1
        spaces()
        try value(depth: 0)
    }

    mutating func dottedKey(_ what: String) throws {
        while true {
            spaces()
            guard let c = current else { throw problem(what) }
            if c == "\"" || c == "'" { try string(multiline: false) }
            else if Self.isBare(c) { while let b = current, Self.isBare(b) { i += 1 } }
            else { throw problem(c.isASCII ? what : "U+\(String(c.value, radix: 16, uppercase: true)) outside a string or comment (TOML keys and values are ASCII)") }
            spaces()
            guard current == "." else { return }
            i += 1
        }
    }

    mutating func value(depth: Int) throws {
        guard let c = current else { throw problem("a value is missing after =") }
        switch c {
        case "\"", "'": try string(multiline: true)
        case "[":
            guard depth < 4 else { throw problem("arrays nest at most four deep in a rule file") }
            try array(depth: depth + 1)
        case "t", "f":
            for word in ["true", "false"] where s[i...].starts(with: word.unicodeScalars) { i += word.unicodeScalars.count; return }
            throw problem("a value is a string, a number, true, false or an array")
        default:
            guard c == "+" || c == "-" || ("0"..."9").contains(c) else { throw problem("a value is a string, a number, true, false or an array") }
            try number()
        }
    }

    /// `[+-]digits[.digits][e[+-]digits]`, with single underscores between digits.
    mutating func number() throws {
        func digits() throws {
            guard let c = current, ("0"..."9").contains(c) else { throw problem("a number needs digits") }
            while let c = current, ("0"..."9").contains(c) || (c == "_" && i + 1 < s.count && ("0"..."9").contains(s[i + 1])) { i += 1 }
        }
        if current == "+" || current == "-" { i += 1 }
        try digits()
        if current == "." { i += 1; try digits() }
        if current == "e" || current == "E" {
            i += 1
            if current == "+" || current == "-" { i += 1 }
            try digits()
        }
    }

    mutating func array(depth: Int) throws {
        i += 1
        while true {
            try blankLines()
            if current == "]" { i += 1; return }
            try value(depth: depth)
            try blankLines()
            if current == "," { i += 1; continue }
            guard current == "]" else { throw problem("array values are separated by commas and closed with ]") }
            i += 1
            return
        }
    }

    /// Spaces, comments and line breaks inside an array.
    mutating func blankLines() throws {
        while true {
            spaces()
            guard current == "#" || current == "\n" || (current == "\r" && at(1, "\n")) else { return }
            try endOfLine()
        }
    }

    /// A basic or literal string, single-line or (when allowed) multi-line.
    mutating func string(multiline allowed: Bool) throws {
        let quote = current!
        let triple = at(1, quote) && at(2, quote)
        if triple && !allowed { throw problem("a key is not a multi-line string") }
        i += triple ? 3 : 1
        while true {
            guard let c = current else { throw problem("a string is not closed") }
            if c == quote && (!triple || (at(1, quote) && at(2, quote))) {
                i += triple ? 3 : 1
                // TOML lets a multi-line string end with up to two more quotes.
                if triple { var extra = 0; while current == quote && extra < 2 { i += 1; extra += 1 } }
                return
            }
            if c == "\n" {
                guard triple else { throw problem("a string is not closed on its line") }
                line += 1
            } else if (c.value < 0x20 && c != "\t" && !(c == "\r" && at(1, "\n"))) || c.value == 0x7F {
                throw problem("a control character in a string (write it as an escape)")
            } else if c == "\\" && quote == "\"" {
                i += 1
                guard let e = current else { throw problem("a string is not closed") }
                if e == "\n" || (e == "\r" && at(1, "\n")) || e == " " || e == "\t" {
                    guard triple else { throw problem("a line-ending backslash is only for multi-line strings") }
                    continue
                }
                let hex = e == "u" ? 4 : e == "U" ? 8 : 0
                guard hex > 0 || "btnfr\"\\".unicodeScalars.contains(e) else { throw problem("an unknown escape \\\(e) in a string") }
                for k in 1...max(hex, 1) where hex > 0 {
                    guard i + k < s.count, s[i + k].properties.isASCIIHexDigit else { throw problem("\\\(e) needs \(hex) hex digits") }
                }
                i += hex
            }
            i += 1
        }
    }
}
