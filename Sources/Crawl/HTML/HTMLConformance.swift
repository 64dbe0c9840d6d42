import Foundation

/// html5lib's conformance tests run through curate's tokenizer and encoding prescan
/// (`curate-bench --html5lib-tokenizer FILE...`, `--html5lib-encoding FILE...`, and CrawlTests).
package enum HTMLConformance {
    package struct Result {
        package var passed = 0
        package var failed: [String] = []
        package var summary: String { "\(passed) passed, \(failed.count) failed" }
        package init() {}
    }

    // MARK: tokenizer tests

    /// Runs every test of an html5lib tokenizer `.test` file (JSON) in each of its initial states.
    package static func runTokenizerTests(_ data: Data, file: String) -> Result {
        var result = Result()
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            result.failed.append("\(file): not a JSON object with a \"tests\" list")
            return result
        }
        let coercesToInfoset = root["xmlViolationTests"] != nil
        guard let tests = (root["tests"] ?? root["xmlViolationTests"]) as? [[String: Any]] else {
            result.failed.append("\(file): no \"tests\" list")
            return result
        }
        for test in tests {
            let description = test["description"] as? String ?? "(no description)"
            let doubleEscaped = test["doubleEscaped"] as? Bool ?? false
            guard let inputText = test["input"] as? String, let output = test["output"] as? [Any] else {
                result.failed.append("\(file): \(description): no input or output")
                continue
            }
            let input = codeUnits(inputText, unescaping: doubleEscaped)
            let expected = coalesced(output.compactMap { token($0, unescaping: doubleEscaped) })
            let lastStartTag = (test["lastStartTag"] as? String).map { Array($0.utf8) } ?? []
            for stateName in test["initialStates"] as? [String] ?? ["Data state"] {
                guard let state = initialState(stateName) else {
                    result.failed.append("\(file): \(description) [\(stateName)]: unknown initial state")
                    continue
                }
                var actual = tokens(wtf8(input), state: state, lastStartTag: lastStartTag)
                if coercesToInfoset { actual = actual.map(coercedToInfoset) }
                if actual == expected {
                    result.passed += 1
                } else {
                    result.failed.append("\(file): \(description) [\(stateName)]: expected \(render(expected)), got \(render(actual))")
                }
            }
        }
        return result
    }

    /// A token as the tests write it, strings as UTF-16 code units (the doubly-escaped tests hold lone surrogates).
    enum Token: Equatable {
        case doctype(name: [UInt16]?, publicID: [UInt16]?, systemID: [UInt16]?, correct: Bool)
        case startTag(name: [UInt16], attributes: [[UInt16]: [UInt16]], selfClosing: Bool)
        case endTag(name: [UInt16])
        case comment([UInt16])
        case characters([UInt16])
    }

    /// For the fuzz target: every token of `input` (valid UTF-8) from one of the initial states;
    /// what the tokenizer hands over must be valid UTF-8 too.
    package static func fuzzTokenizer(_ input: [UInt8], stateIndex: Int) {
        let states: [HTMLTokenizerState] = [.data, .rcdata, .rawtext, .scriptData, .plaintext, .cdataSection]
        var sink = Recorder()
        sink.checksUTF8 = true
        input.withUnsafeBufferPointer { HTMLTokenizer.tokenize($0, into: &sink, initialState: states[stateIndex % states.count], lastStartTag: Array("script".utf8)) }
        sink.flush()
    }

    package static func prescan(_ bytes: [UInt8]) -> String? { EncodingPrescan.declaredEncoding(bytes)?.encoding }

    static func initialState(_ name: String) -> HTMLTokenizerState? {
        switch name {
        case "Data state": .data
        case "PLAINTEXT state": .plaintext
        case "RCDATA state": .rcdata
        case "RAWTEXT state": .rawtext
        case "Script data state": .scriptData
        case "CDATA section state": .cdataSection
        default: nil
        }
    }

    /// What the tokenizer makes of `input`, with no tree builder behind it (no state switches).
    static func tokens(_ input: [UInt8], state: HTMLTokenizerState, lastStartTag: [UInt8]) -> [Token] {
        var sink = Recorder()
        input.withUnsafeBufferPointer { HTMLTokenizer.tokenize($0, into: &sink, initialState: state, lastStartTag: lastStartTag) }
        sink.flush()
        return sink.tokens
    }

    private struct Recorder: HTMLTokenSink {
        var tokens: [Token] = []
        var text: [UInt8] = []
        var checksUTF8 = false
        var allowsCDATA: Bool { false }

        mutating func flush() {
            if checksUTF8 { precondition(String(validating: text, as: UTF8.self) != nil, "the tokenizer emitted invalid UTF-8 text") }
            if !text.isEmpty { tokens.append(.characters(HTMLConformance.utf16(text))); text = [] }
        }
        mutating func characters(_ bytes: UnsafeBufferPointer<UInt8>) { text.append(contentsOf: bytes) }
        mutating func startTag(_ tag: HTMLTag) -> HTMLTokenizerState? {
            flush()
            var attributes: [[UInt16]: [UInt16]] = [:]
            for i in 0..<tag.attributeCount {
                if checksUTF8 { precondition(String(validating: Array(tag.attributeValue(i)), as: UTF8.self) != nil, "an attribute value is invalid UTF-8") }
                attributes[utf16(Array(tag.attributeName(i)))] = utf16(Array(tag.attributeValue(i)))
            }
            tokens.append(.startTag(name: utf16(Array(tag.name)), attributes: attributes, selfClosing: tag.selfClosing))
            return nil
        }
        mutating func endTag(_ tag: HTMLTag) { flush(); tokens.append(.endTag(name: utf16(Array(tag.name)))) }
        mutating func comment(_ data: UnsafeBufferPointer<UInt8>) { flush(); tokens.append(.comment(utf16(Array(data)))) }
        mutating func doctype(_ d: HTMLDoctype) {
            flush()
            tokens.append(.doctype(name: d.name.map(utf16), publicID: d.publicIdentifier.map(utf16), systemID: d.systemIdentifier.map(utf16), correct: !d.forceQuirks))
        }
    }

    private static func token(_ value: Any, unescaping: Bool) -> Token? {
        guard let fields = value as? [Any], let kind = fields.first as? String else { return nil }   // "ParseError" in older files
        func string(_ i: Int) -> [UInt16]? { i < fields.count ? (fields[i] as? String).map { codeUnits($0, unescaping: unescaping) } : nil }
        switch kind {
        case "DOCTYPE":
            return .doctype(name: string(1), publicID: string(2), systemID: string(3), correct: fields.count > 4 ? fields[4] as? Bool ?? false : false)
        case "StartTag":
            var attributes: [[UInt16]: [UInt16]] = [:]
            for (k, v) in fields.count > 2 ? fields[2] as? [String: String] ?? [:] : [:] { attributes[codeUnits(k, unescaping: unescaping)] = codeUnits(v, unescaping: unescaping) }
            return .startTag(name: string(1) ?? [], attributes: attributes, selfClosing: fields.count > 3 ? fields[3] as? Bool ?? false : false)
        case "EndTag": return .endTag(name: string(1) ?? [])
        case "Comment": return .comment(string(1) ?? [])
        case "Character": return .characters(string(1) ?? [])
        default: return nil
        }
    }

    private static func coalesced(_ tokens: [Token]) -> [Token] {
        var out: [Token] = []
        for t in tokens {
            if case .characters(let b) = t, case .characters(let a)? = out.last { out[out.count - 1] = .characters(a + b) } else { out.append(t) }
        }
        return out.filter { if case .characters(let s) = $0 { !s.isEmpty } else { true } }
    }

    /// xmlViolation.test expects the tweaks of "Coercing an HTML DOM into an infoset": form feeds
    /// in text become spaces, U+FFFF (not an XML character) becomes U+FFFD, `--` in a comment `- -`.
    private static func coercedToInfoset(_ token: Token) -> Token {
        func text(_ s: [UInt16]) -> [UInt16] { s.map { $0 == 0x0C ? 0x20 : $0 == 0xFFFF || $0 == 0xFFFE ? 0xFFFD : $0 } }
        switch token {
        case .characters(let s): return .characters(text(s))
        case .startTag(let name, let attributes, let selfClosing): return .startTag(name: name, attributes: attributes.mapValues(text), selfClosing: selfClosing)
        case .comment(let s):
            var out: [UInt16] = []
            for c in s {
                if c == 0x2D && out.last == 0x2D { out.append(0x20) }
                out.append(c)
            }
            return .comment(out)
        default: return token
        }
    }

    private static func render(_ tokens: [Token]) -> String {
        tokens.map { t -> String in
            func s(_ u: [UInt16]?) -> String { u.map { "\"" + String(decoding: $0, as: UTF16.self).debugDescription.dropFirst().dropLast() + "\"" } ?? "null" }
            switch t {
            case .doctype(let n, let p, let sy, let c): return "[DOCTYPE \(s(n)) \(s(p)) \(s(sy)) \(c)]"
            case .startTag(let n, let a, let sc): return "[StartTag \(s(n)) {\(a.map { "\(s($0.key)):\(s($0.value))" }.sorted().joined(separator: ","))}\(sc ? " true" : "")]"
            case .endTag(let n): return "[EndTag \(s(n))]"
            case .comment(let c): return "[Comment \(s(c))]"
            case .characters(let c): return "[Character \(s(c))]"
            }
        }.joined(separator: " ")
    }

    // MARK: strings

    /// A test string as UTF-16 code units; with `unescaping`, each `\uHHHH` is one code unit more.
    static func codeUnits(_ s: String, unescaping: Bool) -> [UInt16] {
        let units = Array(s.utf16)
        guard unescaping else { return units }
        var out: [UInt16] = []
        var i = 0
        while i < units.count {
            if units[i] == 0x5C, i + 5 < units.count, units[i + 1] == 0x75,
               let v = UInt16(String(decoding: units[(i + 2)..<(i + 6)], as: UTF16.self), radix: 16) {
                out.append(v)
                i += 6
            } else {
                out.append(units[i])
                i += 1
            }
        }
        return out
    }

    /// UTF-16 code units to bytes, a lone surrogate written as its three-byte form (WTF-8).
    static func wtf8(_ units: [UInt16]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < units.count {
            let u = UInt32(units[i])
            if (0xD800...0xDBFF).contains(u), i + 1 < units.count, (0xDC00...0xDFFF).contains(UInt32(units[i + 1])) {
                appendUTF8(0x10000 + ((u - 0xD800) << 10) + (UInt32(units[i + 1]) - 0xDC00), to: &out)
                i += 2
            } else {
                appendUTF8(u, to: &out)
                i += 1
            }
        }
        return out
    }

    /// Bytes to UTF-16 code units, reading WTF-8's surrogate forms back as code units.
    static func utf16(_ bytes: [UInt8]) -> [UInt16] {
        var out: [UInt16] = []
        var i = 0
        while i < bytes.count {
            let b = UInt32(bytes[i])
            var scalar: UInt32, length: Int
            if b < 0x80 { scalar = b; length = 1 } else if b >> 5 == 0x6, i + 1 < bytes.count {
                scalar = (b & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F); length = 2
            } else if b >> 4 == 0xE, i + 2 < bytes.count {
                scalar = (b & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F); length = 3
            } else if b >> 3 == 0x1E, i + 3 < bytes.count {
                scalar = (b & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12 | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F); length = 4
            } else {
                scalar = 0xFFFD; length = 1
            }
            if scalar >= 0x10000 {
                out.append(UInt16(0xD800 + ((scalar - 0x10000) >> 10)))
                out.append(UInt16(0xDC00 + ((scalar - 0x10000) & 0x3FF)))
            } else {
                out.append(UInt16(scalar))
            }
            i += length
        }
        return out
    }

    // MARK: encoding tests

    /// Runs html5lib's encoding `.dat` tests (`#data`, `#encoding`) through the prescan; a page
    /// that declares nothing counts as windows-1252, the tests' default.
    package static func runEncodingTests(_ data: Data, file: String) -> Result {
        var result = Result()
        let bytes = [UInt8](data)
        let marker = Array("#data\n".utf8), encodingMarker = Array("\n#encoding\n".utf8)
        var starts: [Int] = []
        var i = 0
        while i + marker.count <= bytes.count {
            if (i == 0 || bytes[i - 1] == 0x0A) && bytes[i..<i + marker.count].elementsEqual(marker) { starts.append(i) }
            i += 1
        }
        for (k, start) in starts.enumerated() {
            let end = k + 1 < starts.count ? starts[k + 1] : bytes.count
            let section = Array(bytes[(start + marker.count)..<end])
            guard let split = firstIndex(of: encodingMarker, in: section) else {
                result.failed.append("\(file): test \(k + 1): no #encoding")
                continue
            }
            let page = Array(section[..<split])
            let expected = String(decoding: section[(split + encodingMarker.count)...], as: UTF8.self)
                .split(separator: "\n").first.map(String.init) ?? ""
            // curate's order (Charset.decode): a byte-order mark first, then the prescan.
            let bom: String? = page.starts(with: [0xEF, 0xBB, 0xBF]) ? "UTF-8" : page.starts(with: [0xFF, 0xFE]) ? "UTF-16LE" : page.starts(with: [0xFE, 0xFF]) ? "UTF-16BE" : nil
            let found = bom ?? EncodingPrescan.declaredEncoding(page)?.encoding ?? "windows-1252"
            if found.lowercased() == expected.lowercased() {
                result.passed += 1
            } else {
                let head = String(decoding: page.prefix(60), as: UTF8.self).debugDescription
                result.failed.append("\(file): test \(k + 1) \(head): expected \(expected), got \(found)")
            }
        }
        return result
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i..<i + needle.count].elementsEqual(needle) { return i }
        return nil
    }
}
