import Foundation

/// What receives the tokens: the tree-building side of the parser. The tokenizer hands over views
/// of its own buffers, valid only during the call.
protocol HTMLTokenSink {
    /// Character tokens, in pieces: consecutive calls are one run of text.
    mutating func characters(_ text: UnsafeBufferPointer<UInt8>)
    /// A start tag; the returned state, if any, is where the tokenizer goes next (the tree
    /// builder's switch to RCDATA for `<title>`, RAWTEXT for `<style>`, …).
    mutating func startTag(_ tag: HTMLTag) -> HTMLTokenizerState?
    mutating func endTag(_ tag: HTMLTag)
    mutating func comment(_ data: UnsafeBufferPointer<UInt8>)
    mutating func doctype(_ doctype: HTMLDoctype)
    /// True when the adjusted current node is not an HTML element (inside `<svg>` or `<math>`):
    /// only there is `<![CDATA[` a CDATA section.
    var allowsCDATA: Bool { get }
}

extension HTMLTokenSink {
    mutating func comment(_ data: UnsafeBufferPointer<UInt8>) {}
    mutating func doctype(_ doctype: HTMLDoctype) {}
}

/// The tokenizer states a tree builder (or a conformance test) may start or switch the tokenizer in.
enum HTMLTokenizerState: Sendable {
    case data, rcdata, rawtext, scriptData, plaintext, cdataSection
}

/// One attribute of a tag: its name in `bytes[nameStart..<nameEnd]`, its value in `bytes[nameEnd..<valueEnd]`.
struct HTMLAttributeSpan { var nameStart: Int32; var nameEnd: Int32; var valueEnd: Int32 }

/// A start or end tag as the tokenizer built it: the name lower-cased (ASCII), the attributes in
/// source order with later duplicates dropped, character references decoded.
struct HTMLTag {
    let name: UnsafeBufferPointer<UInt8>
    let selfClosing: Bool
    let bytes: UnsafeBufferPointer<UInt8>
    let spans: UnsafeBufferPointer<HTMLAttributeSpan>

    var attributeCount: Int { spans.count }
    func attributeName(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[Int(spans[i].nameStart)..<Int(spans[i].nameEnd)])
    }
    func attributeValue(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[Int(spans[i].nameEnd)..<Int(spans[i].valueEnd)])
    }
    /// The value of the attribute named `name` (lower case), if the tag has one.
    func value(of name: StaticString) -> UnsafeBufferPointer<UInt8>? {
        for i in 0..<spans.count where HTMLBytes.equal(attributeName(i), name) { return attributeValue(i) }
        return nil
    }
}

struct HTMLDoctype {
    var name: [UInt8]?
    var publicIdentifier: [UInt8]?
    var systemIdentifier: [UInt8]?
    var forceQuirks = false
}

/// A growable byte buffer the tokenizer owns and frees itself: appending and clearing cost a
/// compare and a store, where an `Array`'s generic paths (uniqueness checks, `replaceSubrange`)
/// were a tenth of the tokenizer's instructions.
struct RawBytes {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 64) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    func free() { base.deallocate() }

    @inline(__always) mutating func append(_ byte: UInt8) {
        if count == capacity { grow(count + 1) }
        base[count] = byte
        count += 1
    }

    @inline(__always) mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        if count + bytes.count > capacity { grow(count + bytes.count) }
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    mutating func append(contentsOf bytes: [UInt8]) { bytes.withUnsafeBufferPointer { append(contentsOf: $0) } }

    @inline(__always) mutating func removeAll() { count = 0 }

    /// Drops everything from `index` on.
    mutating func truncate(to index: Int) { count = min(count, index) }

    @inline(__always) subscript(i: Int) -> UInt8 { base[i] }

    var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }
    var array: [UInt8] { Array(buffer) }

    func equals(_ other: RawBytes) -> Bool { count == other.count && memcmp(base, other.base, count) == 0 }
    func equals(_ literal: StaticString) -> Bool { HTMLBytes.equal(buffer, literal) }

    private mutating func grow(_ needed: Int) {
        var size = capacity * 2
        while size < needed { size *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = size
    }
}

enum HTMLBytes {
    @inline(__always) static func isAlpha(_ c: Int) -> Bool { UInt(bitPattern: c | 0x20) &- 0x61 < 26 }
    @inline(__always) static func isUpper(_ c: Int) -> Bool { UInt(bitPattern: c) &- 0x41 < 26 }
    @inline(__always) static func isDigit(_ c: Int) -> Bool { UInt(bitPattern: c) &- 0x30 < 10 }
    @inline(__always) static func isAlphanumeric(_ c: Int) -> Bool { isAlpha(c) || isDigit(c) }
    @inline(__always) static func isHexDigit(_ c: Int) -> Bool { isDigit(c) || UInt(bitPattern: c | 0x20) &- 0x61 < 6 }
    /// The tokenizer's white space: tab, line feed, form feed, space (carriage returns are gone by then).
    @inline(__always) static func isSpace(_ c: Int) -> Bool { c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0C }
    @inline(__always) static func lower(_ c: Int) -> UInt8 { UInt8(isUpper(c) ? c | 0x20 : c) }

    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> Bool {
        guard bytes.count == name.utf8CodeUnitCount else { return false }
        let p = name.utf8Start
        for i in 0..<bytes.count where bytes[i] != p[i] { return false }
        return true
    }

    /// The index of the first byte at or after `from` that is `a`, `b` or `c`, or `end`: sixteen
    /// bytes at a time (runs of text, attribute values, scripts and styles are most of a page).
    @inline(__always)
    static func scan(_ base: UnsafePointer<UInt8>, from: Int, to end: Int, _ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int {
        var i = from
        let va = SIMD16<UInt8>(repeating: a), vb = SIMD16<UInt8>(repeating: b), vc = SIMD16<UInt8>(repeating: c)
        while i + 16 <= end {
            let v = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<UInt8>.self)
            let hit = (v .== va) .| (v .== vb) .| (v .== vc)
            // (`any(hit)` goes through a generic reduction; the mask's two words are one test.)
            let words = unsafeBitCast(hit, to: (UInt64, UInt64).self)
            if words.0 | words.1 != 0 { break }
            i += 16
        }
        while i < end {
            let x = base[i]
            if x == a || x == b || x == c { return i }
            i += 1
        }
        return end
    }

    /// The input stream's preprocessing: every CR LF pair and every lone CR become one LF.
    static func normalizingNewlines(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard let base = bytes.baseAddress, memchr(base, 0x0D, bytes.count) != nil else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x0D {
                out.append(0x0A)
                if i + 1 < bytes.count && bytes[i + 1] == 0x0A { i += 1 }
            } else {
                out.append(c)
            }
            i += 1
        }
        return out
    }
}

/// The HTML standard's tokenizer (WHATWG HTML, "Tokenization"), over UTF-8 bytes.
///
/// Every state of the standard is here, named as it names them; the character reference states
/// are one function (`characterReference`), since they only read ahead and produce text. Every
/// character the standard treats specially is ASCII, so the machine steps over bytes and copies
/// the bytes of other characters as they are. Text is handed to the sink as slices of the input
/// where it is unchanged (runs of text cost no copy); a decoded reference or a U+FFFD comes from a
/// small buffer. Nothing recurses, and every read is bounds-checked against the input.
struct HTMLTokenizer<Sink: HTMLTokenSink> {
    var sink: Sink

    private enum S: UInt8 {
        case data, rcdata, rawtext, scriptData, plaintext, tagOpen, endTagOpen, tagName
        case rcdataLessThan, rcdataEndTagOpen, rcdataEndTagName, rawtextLessThan, rawtextEndTagOpen, rawtextEndTagName
        case scriptDataLessThan, scriptDataEndTagOpen, scriptDataEndTagName, scriptDataEscapeStart, scriptDataEscapeStartDash
        case scriptDataEscaped, scriptDataEscapedDash, scriptDataEscapedDashDash, scriptDataEscapedLessThan
        case scriptDataEscapedEndTagOpen, scriptDataEscapedEndTagName, scriptDataDoubleEscapeStart, scriptDataDoubleEscaped
        case scriptDataDoubleEscapedDash, scriptDataDoubleEscapedDashDash, scriptDataDoubleEscapedLessThan, scriptDataDoubleEscapeEnd
        case beforeAttributeName, attributeName, afterAttributeName, beforeAttributeValue
        case attributeValueDoubleQuoted, attributeValueSingleQuoted, attributeValueUnquoted, afterAttributeValueQuoted
        case selfClosingStartTag, bogusComment, markupDeclarationOpen
        case commentStart, commentStartDash, comment, commentLessThan, commentLessThanBang, commentLessThanBangDash
        case commentLessThanBangDashDash, commentEndDash, commentEnd, commentEndBang
        case doctype, beforeDoctypeName, doctypeName, afterDoctypeName, afterDoctypePublicKeyword
        case beforeDoctypePublicIdentifier, doctypePublicIdentifierDoubleQuoted, doctypePublicIdentifierSingleQuoted
        case afterDoctypePublicIdentifier, betweenDoctypePublicAndSystemIdentifiers, afterDoctypeSystemKeyword
        case beforeDoctypeSystemIdentifier, doctypeSystemIdentifierDoubleQuoted, doctypeSystemIdentifierSingleQuoted
        case afterDoctypeSystemIdentifier, bogusDoctype, cdataSection, cdataSectionBracket, cdataSectionEnd
    }

    private let input: UnsafeBufferPointer<UInt8>
    private var p = 0
    private var state: S = .data
    /// Characters waiting to go to the sink: `input[runStart..<runEnd]`.
    private var runStart = 0, runEnd = 0

    private var tagName = RawBytes()
    private var isEndTag = false
    private var selfClosing = false
    private var attributeBytes = RawBytes(capacity: 512)
    private var attributes: [HTMLAttributeSpan] = []
    /// The attribute being built: its name starts at `currentNameStart`; its value starts at `currentNameEnd`.
    private var inAttribute = false
    private var currentNameStart = 0, currentNameEnd = 0
    private var lastStartTag = RawBytes()
    /// Where the `<` of a possible end tag in RCDATA, RAWTEXT or script data is (the temporary buffer is input[lessThan+2..<p]).
    private var lessThan = 0
    private var temporary = RawBytes()
    private var comment = RawBytes()
    private var doctype = HTMLDoctype()
    private var scratch = RawBytes()

    /// U+FFFD's three bytes, from the binary's constant data.
    private static var replacement: UnsafeBufferPointer<UInt8> {
        let text: StaticString = "\u{FFFD}"
        return UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
    }

    init(input: UnsafeBufferPointer<UInt8>, sink: Sink, initialState: HTMLTokenizerState = .data, lastStartTag: [UInt8] = []) {
        self.input = input
        self.sink = sink
        self.lastStartTag.append(contentsOf: lastStartTag)
        switch initialState {
        case .data: state = .data
        case .rcdata: state = .rcdata
        case .rawtext: state = .rawtext
        case .scriptData: state = .scriptData
        case .plaintext: state = .plaintext
        case .cdataSection: state = .cdataSection
        }
        attributes.reserveCapacity(8)
    }

    /// Tokenizes `bytes` (UTF-8; carriage returns are normalized first, as the input stream's
    /// preprocessing says) into `sink`.
    static func tokenize(_ bytes: UnsafeBufferPointer<UInt8>, into sink: inout Sink, initialState: HTMLTokenizerState = .data, lastStartTag: [UInt8] = []) {
        func run(_ input: UnsafeBufferPointer<UInt8>) {
            var tokenizer = HTMLTokenizer(input: input, sink: sink, initialState: initialState, lastStartTag: lastStartTag)
            tokenizer.run()
            sink = tokenizer.sink
            tokenizer.freeBuffers()
        }
        if let normalized = HTMLBytes.normalizingNewlines(bytes) { normalized.withUnsafeBufferPointer(run) } else { run(bytes) }
    }

    private func freeBuffers() {
        for buffer in [tagName, attributeBytes, lastStartTag, temporary, comment, scratch] { buffer.free() }
    }

    // MARK: input and output

    @inline(__always) private func at(_ i: Int) -> Int { i < input.count ? Int(input[i]) : -1 }

    /// Emits the input byte at `i` (and `count - 1` after it) as characters.
    @inline(__always) private mutating func emitInput(_ i: Int, _ count: Int = 1) {
        if i == runEnd && runEnd > runStart {
            runEnd += count
        } else {
            flushText()
            runStart = i
            runEnd = i + count
        }
    }

    @inline(__always) private mutating func flushText() {
        guard runEnd > runStart else { return }
        sink.characters(UnsafeBufferPointer(rebasing: input[runStart..<runEnd]))
        runStart = runEnd
    }

    private mutating func emit(_ bytes: UnsafeBufferPointer<UInt8>) {
        flushText()
        sink.characters(bytes)
    }

    private mutating func emitReplacement() { emit(Self.replacement) }

    // MARK: tags

    private mutating func startTag(end: Bool) {
        tagName.removeAll()
        isEndTag = end
        selfClosing = false
        attributeBytes.removeAll()
        if !attributes.isEmpty { attributes.removeAll(keepingCapacity: true) }
        inAttribute = false
    }

    private mutating func startAttribute() {
        finishAttribute()
        inAttribute = true
        currentNameStart = attributeBytes.count
        currentNameEnd = attributeBytes.count
    }

    private mutating func endAttributeName() { currentNameEnd = attributeBytes.count }

    /// Keeps the attribute just built unless an earlier one has its name (the standard drops the later).
    private mutating func finishAttribute() {
        guard inAttribute else { return }
        inAttribute = false
        let span = HTMLAttributeSpan(nameStart: Int32(currentNameStart), nameEnd: Int32(currentNameEnd), valueEnd: Int32(attributeBytes.count))
        let length = currentNameEnd - currentNameStart
        for other in attributes where Int(other.nameEnd - other.nameStart) == length {
            var same = true
            for k in 0..<length where attributeBytes[Int(other.nameStart) + k] != attributeBytes[currentNameStart + k] { same = false; break }
            if same { attributeBytes.truncate(to: currentNameStart); return }
        }
        attributes.append(span)
    }

    private mutating func emitTag() {
        finishAttribute()
        flushText()
        state = .data
        let name = tagName.buffer, bytes = attributeBytes.buffer
        let next: HTMLTokenizerState? = attributes.withUnsafeBufferPointer { spans in
            let tag = HTMLTag(name: name, selfClosing: selfClosing, bytes: bytes, spans: isEndTag ? UnsafeBufferPointer(rebasing: spans[0..<0]) : spans)
            if isEndTag { sink.endTag(tag); return nil }
            return sink.startTag(tag)
        }
        // The last start tag matters only in the states a start tag switches to (an end tag there
        // is "appropriate" when it names it), so it is kept only then.
        if !isEndTag, let next, next != .data, next != .plaintext { lastStartTag.removeAll(); lastStartTag.append(contentsOf: tagName.buffer) }
        switch next {
        case nil, .data?: break
        case .rcdata?: state = .rcdata
        case .rawtext?: state = .rawtext
        case .scriptData?: state = .scriptData
        case .plaintext?: state = .plaintext
        case .cdataSection?: state = .cdataSection
        }
    }

    private var isAppropriateEndTag: Bool { lastStartTag.count > 0 && tagName.equals(lastStartTag) }

    private mutating func emitComment() {
        flushText()
        sink.comment(comment.buffer)
    }

    private mutating func emitDoctype() {
        flushText()
        sink.doctype(doctype)
    }

    private mutating func newDoctype() { doctype = HTMLDoctype() }

    // MARK: character references

    /// The character reference states, from just after an `&` at `p`: appends what the reference
    /// stands for to `out` (or the `&` alone when it is not one; what follows is then read again as
    /// ordinary text) and returns where reading goes on.
    private func characterReference(from start: Int, inAttribute: Bool, into out: inout RawBytes) -> Int {
        let c = at(start)
        if HTMLBytes.isAlphanumeric(c) {
            var j = start
            while j < input.count && j - start < NamedCharacterReferences.longestName && HTMLBytes.isAlphanumeric(Int(input[j])) { j += 1 }
            if j < input.count && j - start < NamedCharacterReferences.longestName && input[j] == UInt8(ascii: ";") { j += 1 }
            guard let entry = NamedCharacterReferences.longestMatch(UnsafeBufferPointer(rebasing: input[start..<j])) else {
                out.append(UInt8(ascii: "&"))
                return start
            }
            let length = Int(entry.nameLength)
            if inAttribute && input[start + length - 1] != UInt8(ascii: ";") {
                let next = at(start + length)
                if next == Int(UInt8(ascii: "=")) || HTMLBytes.isAlphanumeric(next) {
                    // For historical reasons, `&copy=` in an attribute value is left as written.
                    out.append(UInt8(ascii: "&"))
                    return start
                }
            }
            appendUTF8(entry.first, to: &out)
            if entry.second != 0 { appendUTF8(entry.second, to: &out) }
            return start + length
        }
        guard c == Int(UInt8(ascii: "#")) else {
            out.append(UInt8(ascii: "&"))
            return start
        }
        var j = start + 1
        let hex = at(j) | 0x20 == Int(UInt8(ascii: "x"))
        if hex { j += 1 }
        let digitsStart = j
        var value: UInt32 = 0
        while j < input.count {
            let d = Int(input[j])
            let digit: UInt32
            if HTMLBytes.isDigit(d) { digit = UInt32(d - 0x30) } else if hex && HTMLBytes.isHexDigit(d) { digit = UInt32((d | 0x20) - 0x61 + 10) } else { break }
            value = min(value * (hex ? 16 : 10) + digit, 0x110000)
            j += 1
        }
        if j == digitsStart {
            // "&#" or "&#x" with no digits: the characters stay as written.
            out.append(contentsOf: UnsafeBufferPointer(rebasing: input[start - 1..<digitsStart]))
            return digitsStart
        }
        if at(j) == Int(UInt8(ascii: ";")) { j += 1 }
        appendUTF8(NumericCharacterReference.scalar(for: value), to: &out)
        return j
    }

    /// A reference in text (data or RCDATA): decoded into the scratch buffer and emitted.
    private mutating func textCharacterReference() {
        flushText()
        var out = scratch
        out.removeAll()
        let start = p + 1
        p = characterReference(from: start, inAttribute: false, into: &out)
        scratch = out
        if p == start {
            // Not a reference: the `&` itself, still part of the input run.
            emitInput(p - 1)
            return
        }
        sink.characters(out.buffer)
    }

    private mutating func attributeCharacterReference() {
        var out = attributeBytes
        p = characterReference(from: p + 1, inAttribute: true, into: &out)
        attributeBytes = out
    }

    // MARK: the machine

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    mutating func run() {
        let n = input.count
        guard let base = input.baseAddress else { return }
        let lt = Int(UInt8(ascii: "<")), gt = Int(UInt8(ascii: ">")), amp = Int(UInt8(ascii: "&")), slash = Int(UInt8(ascii: "/"))
        let dash = Int(UInt8(ascii: "-")), bang = Int(UInt8(ascii: "!")), quote = Int(UInt8(ascii: "\"")), apostrophe = Int(UInt8(ascii: "'"))
        let equals = Int(UInt8(ascii: "=")), question = Int(UInt8(ascii: "?")), bracket = Int(UInt8(ascii: "]"))
        let eof = -1
        while true {
            switch state {
            case .data:
                // Runs of ordinary text go out as one slice of the input.
                let i = HTMLBytes.scan(base, from: p, to: n, 0x3C, 0x26, 0)
                if i > p { emitInput(p, i - p); p = i }
                let c = at(p)
                if c == eof { flushText(); return }
                if c == lt { state = .tagOpen; p += 1 } else if c == amp { textCharacterReference() } else { emitInput(p); p += 1 }   // NUL: kept (a parse error)
            case .rcdata:
                let i = HTMLBytes.scan(base, from: p, to: n, 0x3C, 0x26, 0)
                if i > p { emitInput(p, i - p); p = i }
                let c = at(p)
                if c == eof { flushText(); return }
                if c == lt { lessThan = p; state = .rcdataLessThan; p += 1 } else if c == amp { textCharacterReference() } else { emitReplacement(); p += 1 }
            case .rawtext, .scriptData, .plaintext:
                let i = state == .plaintext ? HTMLBytes.scan(base, from: p, to: n, 0, 0, 0) : HTMLBytes.scan(base, from: p, to: n, 0x3C, 0, 0)
                if i > p { emitInput(p, i - p); p = i }
                let c = at(p)
                if c == eof { flushText(); return }
                if c == lt {
                    lessThan = p
                    state = state == .rawtext ? .rawtextLessThan : .scriptDataLessThan
                    p += 1
                } else {
                    emitReplacement(); p += 1
                }
            case .tagOpen:
                let c = at(p)
                if c == bang { state = .markupDeclarationOpen; p += 1 } else if c == slash { state = .endTagOpen; p += 1 } else if HTMLBytes.isAlpha(c) {
                    startTag(end: false); state = .tagName
                } else if c == question {
                    comment.removeAll(); state = .bogusComment
                } else {
                    emitInput(p - 1); state = .data   // the `<` is text; c is read again
                }
            case .endTagOpen:
                let c = at(p)
                if HTMLBytes.isAlpha(c) { startTag(end: true); state = .tagName } else if c == gt { state = .data; p += 1 } else if c == eof {
                    emitInput(p - 2, 2); state = .data
                } else {
                    comment.removeAll(); state = .bogusComment
                }
            case .tagName:
                while true {
                    let c = at(p)
                    if HTMLBytes.isSpace(c) { state = .beforeAttributeName; p += 1; break }
                    if c == slash { state = .selfClosingStartTag; p += 1; break }
                    if c == gt { p += 1; emitTag(); break }
                    if c == eof { flushText(); return }   // the tag is dropped
                    if c == 0 { tagName.append(contentsOf: Self.replacement) } else { tagName.append(HTMLBytes.lower(c)) }
                    p += 1
                }
            case .rcdataLessThan, .rawtextLessThan:
                let text: S = state == .rcdataLessThan ? .rcdata : .rawtext
                if at(p) == slash { p += 1; state = text == .rcdata ? .rcdataEndTagOpen : .rawtextEndTagOpen } else { emitInput(lessThan); state = text }
            case .rcdataEndTagOpen, .rawtextEndTagOpen, .scriptDataEndTagOpen, .scriptDataEscapedEndTagOpen:
                let (text, name): (S, S) = switch state {
                case .rcdataEndTagOpen: (.rcdata, .rcdataEndTagName)
                case .rawtextEndTagOpen: (.rawtext, .rawtextEndTagName)
                case .scriptDataEndTagOpen: (.scriptData, .scriptDataEndTagName)
                default: (.scriptDataEscaped, .scriptDataEscapedEndTagName)
                }
                if HTMLBytes.isAlpha(at(p)) { startTag(end: true); state = name } else { emitInput(lessThan, 2); state = text }
            case .rcdataEndTagName, .rawtextEndTagName, .scriptDataEndTagName, .scriptDataEscapedEndTagName:
                let text: S = switch state {
                case .rcdataEndTagName: .rcdata
                case .rawtextEndTagName: .rawtext
                case .scriptDataEndTagName: .scriptData
                default: .scriptDataEscaped
                }
                let c = at(p)
                if HTMLBytes.isSpace(c) && isAppropriateEndTag { state = .beforeAttributeName; p += 1 } else if c == slash && isAppropriateEndTag {
                    state = .selfClosingStartTag; p += 1
                } else if c == gt && isAppropriateEndTag {
                    p += 1; emitTag()
                } else if HTMLBytes.isAlpha(c) {
                    tagName.append(HTMLBytes.lower(c)); p += 1
                } else {
                    emitInput(lessThan, p - lessThan); state = text   // `</` and the temporary buffer are text
                }
            case .scriptDataLessThan:
                let c = at(p)
                if c == slash { p += 1; state = .scriptDataEndTagOpen } else if c == bang {
                    emitInput(lessThan, 2); p += 1; state = .scriptDataEscapeStart
                } else {
                    emitInput(lessThan); state = .scriptData
                }
            case .scriptDataEscapeStart:
                if at(p) == dash { emitInput(p); p += 1; state = .scriptDataEscapeStartDash } else { state = .scriptData }
            case .scriptDataEscapeStartDash:
                if at(p) == dash { emitInput(p); p += 1; state = .scriptDataEscapedDashDash } else { state = .scriptData }
            case .scriptDataEscaped:
                let i = HTMLBytes.scan(base, from: p, to: n, 0x2D, 0x3C, 0)
                if i > p { emitInput(p, i - p); p = i }
                let c = at(p)
                if c == eof { flushText(); return }
                if c == dash { emitInput(p); p += 1; state = .scriptDataEscapedDash } else if c == lt { lessThan = p; p += 1; state = .scriptDataEscapedLessThan } else {
                    emitReplacement(); p += 1
                }
            case .scriptDataEscapedDash, .scriptDataEscapedDashDash:
                let c = at(p)
                if c == dash { emitInput(p); p += 1; state = .scriptDataEscapedDashDash } else if c == lt {
                    lessThan = p; p += 1; state = .scriptDataEscapedLessThan
                } else if c == gt && state == .scriptDataEscapedDashDash {
                    emitInput(p); p += 1; state = .scriptData
                } else if c == 0 {
                    emitReplacement(); p += 1; state = .scriptDataEscaped
                } else if c == eof {
                    flushText(); return
                } else {
                    emitInput(p); p += 1; state = .scriptDataEscaped
                }
            case .scriptDataEscapedLessThan:
                let c = at(p)
                if c == slash { p += 1; state = .scriptDataEscapedEndTagOpen } else if HTMLBytes.isAlpha(c) {
                    temporary.removeAll(); emitInput(lessThan); state = .scriptDataDoubleEscapeStart
                } else {
                    emitInput(lessThan); state = .scriptDataEscaped
                }
            case .scriptDataDoubleEscapeStart, .scriptDataDoubleEscapeEnd:
                let starting = state == .scriptDataDoubleEscapeStart
                let c = at(p)
                if HTMLBytes.isSpace(c) || c == slash || c == gt {
                    let isScript = temporary.equals("script")
                    state = starting == isScript ? .scriptDataDoubleEscaped : .scriptDataEscaped
                    emitInput(p); p += 1
                } else if HTMLBytes.isAlpha(c) {
                    temporary.append(HTMLBytes.lower(c)); emitInput(p); p += 1
                } else {
                    state = starting ? .scriptDataEscaped : .scriptDataDoubleEscaped
                }
            case .scriptDataDoubleEscaped:
                let i = HTMLBytes.scan(base, from: p, to: n, 0x2D, 0x3C, 0)
                if i > p { emitInput(p, i - p); p = i }
                let c = at(p)
                if c == eof { flushText(); return }
                if c == dash { emitInput(p); p += 1; state = .scriptDataDoubleEscapedDash } else if c == lt {
                    emitInput(p); p += 1; state = .scriptDataDoubleEscapedLessThan
                } else {
                    emitReplacement(); p += 1
                }
            case .scriptDataDoubleEscapedDash, .scriptDataDoubleEscapedDashDash:
                let c = at(p)
                if c == dash { emitInput(p); p += 1; state = .scriptDataDoubleEscapedDashDash } else if c == lt {
                    emitInput(p); p += 1; state = .scriptDataDoubleEscapedLessThan
                } else if c == gt && state == .scriptDataDoubleEscapedDashDash {
                    emitInput(p); p += 1; state = .scriptData
                } else if c == 0 {
                    emitReplacement(); p += 1; state = .scriptDataDoubleEscaped
                } else if c == eof {
                    flushText(); return
                } else {
                    emitInput(p); p += 1; state = .scriptDataDoubleEscaped
                }
            case .scriptDataDoubleEscapedLessThan:
                if at(p) == slash { temporary.removeAll(); emitInput(p); p += 1; state = .scriptDataDoubleEscapeEnd } else {
                    state = .scriptDataDoubleEscaped
                }
            case .beforeAttributeName:
                var c = at(p)
                while HTMLBytes.isSpace(c) { p += 1; c = at(p) }
                if c == slash || c == gt || c == eof { state = .afterAttributeName } else if c == equals {
                    startAttribute(); attributeBytes.append(UInt8(c)); p += 1; state = .attributeName
                } else {
                    startAttribute(); state = .attributeName
                }
            case .attributeName:
                while true {
                    let c = at(p)
                    if HTMLBytes.isSpace(c) || c == slash || c == gt || c == eof { endAttributeName(); state = .afterAttributeName; break }
                    if c == equals { endAttributeName(); p += 1; state = .beforeAttributeValue; break }
                    if c == 0 { attributeBytes.append(contentsOf: Self.replacement) } else { attributeBytes.append(HTMLBytes.lower(c)) }
                    p += 1
                }
            case .afterAttributeName:
                var c = at(p)
                while HTMLBytes.isSpace(c) { p += 1; c = at(p) }
                if c == slash { p += 1; state = .selfClosingStartTag } else if c == equals { p += 1; state = .beforeAttributeValue } else if c == gt {
                    p += 1; emitTag()
                } else if c == eof {
                    flushText(); return
                } else {
                    startAttribute(); state = .attributeName
                }
            case .beforeAttributeValue:
                var c = at(p)
                while HTMLBytes.isSpace(c) { p += 1; c = at(p) }
                if c == quote { p += 1; state = .attributeValueDoubleQuoted } else if c == apostrophe { p += 1; state = .attributeValueSingleQuoted } else if c == gt {
                    p += 1; emitTag()   // missing-attribute-value: the attribute's value is empty
                } else {
                    state = .attributeValueUnquoted
                }
            case .attributeValueDoubleQuoted, .attributeValueSingleQuoted:
                let closing: UInt8 = state == .attributeValueDoubleQuoted ? 0x22 : 0x27
                let i = HTMLBytes.scan(base, from: p, to: n, closing, 0x26, 0)
                if i > p { attributeBytes.append(contentsOf: UnsafeBufferPointer(rebasing: input[p..<i])); p = i }
                let c = at(p)
                if c == eof { flushText(); return }
                if c == Int(closing) { p += 1; state = .afterAttributeValueQuoted } else if c == amp { attributeCharacterReference() } else {
                    attributeBytes.append(contentsOf: Self.replacement); p += 1
                }
            case .attributeValueUnquoted:
                while true {
                    let c = at(p)
                    if HTMLBytes.isSpace(c) { p += 1; state = .beforeAttributeName; break }
                    if c == gt { p += 1; emitTag(); break }
                    if c == eof { flushText(); return }
                    if c == amp { attributeCharacterReference(); continue }
                    if c == 0 { attributeBytes.append(contentsOf: Self.replacement) } else { attributeBytes.append(UInt8(c)) }
                    p += 1
                }
            case .afterAttributeValueQuoted:
                let c = at(p)
                if HTMLBytes.isSpace(c) { p += 1; state = .beforeAttributeName } else if c == slash { p += 1; state = .selfClosingStartTag } else if c == gt {
                    p += 1; emitTag()
                } else if c == eof {
                    flushText(); return
                } else {
                    state = .beforeAttributeName
                }
            case .selfClosingStartTag:
                let c = at(p)
                if c == gt { selfClosing = true; p += 1; emitTag() } else if c == eof { flushText(); return } else { state = .beforeAttributeName }
            case .bogusComment:
                while true {
                    let c = at(p)
                    if c == gt { p += 1; state = .data; emitComment(); break }
                    if c == eof { emitComment(); return }
                    if c == 0 { comment.append(contentsOf: Self.replacement) } else { comment.append(UInt8(c)) }
                    p += 1
                }
            case .markupDeclarationOpen:
                if at(p) == dash && at(p + 1) == dash {
                    p += 2; comment.removeAll(); state = .commentStart
                } else if matchesCaseInsensitive("doctype", at: p) {
                    p += 7; state = .doctype
                } else if matches("[CDATA[", at: p) {
                    p += 7
                    if sink.allowsCDATA { state = .cdataSection } else { comment.removeAll(); comment.append(contentsOf: Array("[CDATA[".utf8)); state = .bogusComment }
                } else {
                    comment.removeAll(); state = .bogusComment
                }
            case .commentStart:
                let c = at(p)
                if c == dash { p += 1; state = .commentStartDash } else if c == gt { p += 1; state = .data; emitComment() } else { state = .comment }
            case .commentStartDash:
                let c = at(p)
                if c == dash { p += 1; state = .commentEnd } else if c == gt { p += 1; state = .data; emitComment() } else if c == eof {
                    emitComment(); return
                } else {
                    comment.append(UInt8(dash)); state = .comment
                }
            case .comment:
                let i = HTMLBytes.scan(base, from: p, to: n, 0x3C, 0x2D, 0)
                if i > p { comment.append(contentsOf: UnsafeBufferPointer(rebasing: input[p..<i])); p = i }
                let c = at(p)
                if c == eof { emitComment(); return }
                if c == lt { comment.append(UInt8(c)); p += 1; state = .commentLessThan } else if c == dash { p += 1; state = .commentEndDash } else {
                    comment.append(contentsOf: Self.replacement); p += 1
                }
            case .commentLessThan:
                let c = at(p)
                if c == bang { comment.append(UInt8(c)); p += 1; state = .commentLessThanBang } else if c == lt { comment.append(UInt8(c)); p += 1 } else { state = .comment }
            case .commentLessThanBang:
                if at(p) == dash { p += 1; state = .commentLessThanBangDash } else { state = .comment }
            case .commentLessThanBangDash:
                if at(p) == dash { p += 1; state = .commentLessThanBangDashDash } else { state = .commentEndDash }
            case .commentLessThanBangDashDash:
                state = .commentEnd   // `>` or EOF, or a nested-comment parse error: either way read again in comment end
            case .commentEndDash:
                let c = at(p)
                if c == dash { p += 1; state = .commentEnd } else if c == eof { emitComment(); return } else { comment.append(UInt8(dash)); state = .comment }
            case .commentEnd:
                let c = at(p)
                if c == gt { p += 1; state = .data; emitComment() } else if c == bang { p += 1; state = .commentEndBang } else if c == dash {
                    comment.append(UInt8(dash)); p += 1
                } else if c == eof {
                    emitComment(); return
                } else {
                    comment.append(UInt8(dash)); comment.append(UInt8(dash)); state = .comment
                }
            case .commentEndBang:
                let c = at(p)
                if c == dash { comment.append(contentsOf: [UInt8(dash), UInt8(dash), UInt8(bang)]); p += 1; state = .commentEndDash } else if c == gt {
                    p += 1; state = .data; emitComment()
                } else if c == eof {
                    emitComment(); return
                } else {
                    comment.append(contentsOf: [UInt8(dash), UInt8(dash), UInt8(bang)]); state = .comment
                }
            case .doctype:
                let c = at(p)
                if HTMLBytes.isSpace(c) { p += 1; state = .beforeDoctypeName } else if c == eof {
                    newDoctype(); doctype.forceQuirks = true; emitDoctype(); return
                } else {
                    state = .beforeDoctypeName
                }
            case .beforeDoctypeName:
                var c = at(p)
                while HTMLBytes.isSpace(c) { p += 1; c = at(p) }
                newDoctype()
                if c == gt { doctype.forceQuirks = true; p += 1; state = .data; emitDoctype() } else if c == eof {
                    doctype.forceQuirks = true; emitDoctype(); return
                } else {
                    doctype.name = c == 0 ? Array(Self.replacement) : [HTMLBytes.lower(c)]
                    p += 1; state = .doctypeName
                }
            case .doctypeName:
                while true {
                    let c = at(p)
                    if HTMLBytes.isSpace(c) { p += 1; state = .afterDoctypeName; break }
                    if c == gt { p += 1; state = .data; emitDoctype(); break }
                    if c == eof { doctype.forceQuirks = true; emitDoctype(); return }
                    if c == 0 { doctype.name! += Array(Self.replacement) } else { doctype.name!.append(HTMLBytes.lower(c)) }
                    p += 1
                }
            case .afterDoctypeName:
                var c = at(p)
                while HTMLBytes.isSpace(c) { p += 1; c = at(p) }
                if c == gt { p += 1; state = .data; emitDoctype() } else if c == eof {
                    doctype.forceQuirks = true; emitDoctype(); return
                } else if matchesCaseInsensitive("public", at: p) {
                    p += 6; state = .afterDoctypePublicKeyword
                } else if matchesCaseInsensitive("system", at: p) {
                    p += 6; state = .afterDoctypeSystemKeyword
                } else {
                    doctype.forceQuirks = true; state = .bogusDoctype
                }
            case .afterDoctypePublicKeyword, .beforeDoctypePublicIdentifier, .afterDoctypeSystemKeyword, .beforeDoctypeSystemIdentifier:
                let isPublic = state == .afterDoctypePublicKeyword || state == .beforeDoctypePublicIdentifier
                var c = at(p)
                if HTMLBytes.isSpace(c) {
                    while HTMLBytes.isSpace(c) { p += 1; c = at(p) }
                    if state == .afterDoctypePublicKeyword { state = .beforeDoctypePublicIdentifier; continue }
                    if state == .afterDoctypeSystemKeyword { state = .beforeDoctypeSystemIdentifier; continue }
                }
                if c == quote || c == apostrophe {
                    p += 1
                    if isPublic {
                        doctype.publicIdentifier = []
                        state = c == quote ? .doctypePublicIdentifierDoubleQuoted : .doctypePublicIdentifierSingleQuoted
                    } else {
                        doctype.systemIdentifier = []
                        state = c == quote ? .doctypeSystemIdentifierDoubleQuoted : .doctypeSystemIdentifierSingleQuoted
                    }
                } else if c == gt {
                    doctype.forceQuirks = true; p += 1; state = .data; emitDoctype()
                } else if c == eof {
                    doctype.forceQuirks = true; emitDoctype(); return
                } else {
                    doctype.forceQuirks = true; state = .bogusDoctype
                }
            case .doctypePublicIdentifierDoubleQuoted, .doctypePublicIdentifierSingleQuoted, .doctypeSystemIdentifierDoubleQuoted, .doctypeSystemIdentifierSingleQuoted:
                let isPublic = state == .doctypePublicIdentifierDoubleQuoted || state == .doctypePublicIdentifierSingleQuoted
                let closing = state == .doctypePublicIdentifierDoubleQuoted || state == .doctypeSystemIdentifierDoubleQuoted ? quote : apostrophe
                while true {
                    let c = at(p)
                    if c == closing { p += 1; state = isPublic ? .afterDoctypePublicIdentifier : .afterDoctypeSystemIdentifier; break }
                    if c == gt { doctype.forceQuirks = true; p += 1; state = .data; emitDoctype(); break }
                    if c == eof { doctype.forceQuirks = true; emitDoctype(); return }
                    let bytes: [UInt8] = c == 0 ? Array(Self.replacement) : [UInt8(c)]
                    if isPublic { doctype.publicIdentifier! += bytes } else { doctype.systemIdentifier! += bytes }
                    p += 1
                }
            case .afterDoctypePublicIdentifier, .betweenDoctypePublicAndSystemIdentifiers:
                var c = at(p)
                if HTMLBytes.isSpace(c) && state == .afterDoctypePublicIdentifier {
                    while HTMLBytes.isSpace(c) { p += 1; c = at(p) }
                    state = .betweenDoctypePublicAndSystemIdentifiers
                    continue
                }
                while HTMLBytes.isSpace(c) { p += 1; c = at(p) }
                if c == gt { p += 1; state = .data; emitDoctype() } else if c == quote || c == apostrophe {
                    doctype.systemIdentifier = []; p += 1
                    state = c == quote ? .doctypeSystemIdentifierDoubleQuoted : .doctypeSystemIdentifierSingleQuoted
                } else if c == eof {
                    doctype.forceQuirks = true; emitDoctype(); return
                } else {
                    doctype.forceQuirks = true; state = .bogusDoctype
                }
            case .afterDoctypeSystemIdentifier:
                var c = at(p)
                while HTMLBytes.isSpace(c) { p += 1; c = at(p) }
                if c == gt { p += 1; state = .data; emitDoctype() } else if c == eof {
                    doctype.forceQuirks = true; emitDoctype(); return
                } else {
                    state = .bogusDoctype   // (this one does not set force-quirks)
                }
            case .bogusDoctype:
                while true {
                    let c = at(p)
                    if c == gt { p += 1; state = .data; emitDoctype(); break }
                    if c == eof { emitDoctype(); return }
                    p += 1
                }
            case .cdataSection:
                var i = p
                while i < n && input[i] != 0x5D { i += 1 }
                if i > p { emitInput(p, i - p); p = i }
                if p >= n { flushText(); return }
                p += 1; state = .cdataSectionBracket
            case .cdataSectionBracket:
                if at(p) == bracket { p += 1; state = .cdataSectionEnd } else { emitInput(p - 1); state = .cdataSection }
            case .cdataSectionEnd:
                let c = at(p)
                if c == bracket { emitInput(p - 2); p += 1 } else if c == gt { p += 1; state = .data } else { emitInput(p - 2, 2); state = .cdataSection }
            }
        }
    }

    private func matches(_ literal: StaticString, at i: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard i + count <= input.count else { return false }
        for k in 0..<count where input[i + k] != literal.utf8Start[k] { return false }
        return true
    }

    private func matchesCaseInsensitive(_ lower: StaticString, at i: Int) -> Bool {
        let count = lower.utf8CodeUnitCount
        guard i + count <= input.count else { return false }
        for k in 0..<count where HTMLBytes.lower(Int(input[i + k])) != lower.utf8Start[k] { return false }
        return true
    }
}
