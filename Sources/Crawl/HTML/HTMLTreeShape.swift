/// The part of HTML's tree construction that decides what is inside what, for extraction: the
/// tokenizer's state switches, implied end tags, scopes, the end of `<head>`, foreign content, and
/// `<select>`. It keeps no tree, only the stack of open elements (in `ExtractionState`), and feeds
/// the same events to `ExtractionState` as libxml2's SAX parser does.
///
/// What it does as the standard's tree builder does ("The rules for parsing tokens in HTML
/// content", in body unless said):
/// - `<title>`, `<textarea>` switch the tokenizer to RCDATA; `<style>`, `<xmp>`, `<iframe>`,
///   `<noembed>`, `<noframes>` to RAWTEXT; `<script>` to script data; `<plaintext>` to PLAINTEXT
///   (scripting is off, so `<noscript>` holds markup, as html5lib parses it);
/// - a start tag that closes a `<p>` (`<div>`, `<ul>`, `<h1>`, `<table>`, …) closes one in button
///   scope; `<li>`, `<dd>`, `<dt>` close the previous item; a heading closes an open heading;
///   `<option>` an open option; `<td>`, `<th>`, `<tr>`, `<tbody>` an open cell, row or section;
/// - an end tag closes its element only if it is in scope (a `</div>` never closes a `<div>`
///   outside the table it is in); `</p>` with no `<p>` open and `</br>` break the line; the end tag
///   of a formatting element that has special elements inside it closes only itself (a stand-in
///   for the adoption agency algorithm, which only moves elements); any other end tag stops at a
///   special element;
/// - `<head>` ends at the first start tag or non-space text that does not belong in it;
/// - `<svg>` and `<math>` open foreign content: self-closing tags there are void, `<![CDATA[`
///   is a CDATA section, end tags match foreign elements, and HTML elements such as `<img>`,
///   `<p>` or `<div>` break out to HTML content; `foreignObject`, `desc` and `title` (and
///   MathML's text elements) are integration points where HTML applies again;
/// - inside `<select>` only `<option>`, `<optgroup>`, `<hr>`, `<script>` and `<template>` are
///   elements; `<input>`, `<textarea>` and a second `<select>` close it; an `<img>` is dropped;
/// - `<image>` is `<img>`; `<html>` and `<body>` are opened once; the stack is at most 512 deep
///   (as Blink caps it): a deeper element replaces the innermost one.
struct HTMLTreeShape: HTMLTokenSink {
    var state = ExtractionState()
    private var sawBody = false
    private let n = Names.shared
    private let table = KindTable.shared
    private let integrationPoints = HTMLTreeShape.integrationPointKeys

    static let maximumDepth = 512

    var allowsCDATA: Bool { state.open.last.map { $0.foreign } ?? false }

    // MARK: tokens

    mutating func characters(_ text: UnsafeBufferPointer<UInt8>) {
        if state.headDepth > 0, state.open.last?.tag == .head, text.contains(where: { !HTMLBytes.isSpace(Int($0)) }) { closeHead() }
        state.text(text)
    }

    mutating func startTag(_ tag: HTMLTag) -> HTMLTokenizerState? {
        var key = ExtractionState.key(tag.name)
        if inForeignContent {
            let breaksOut = kindOf(key).flags.contains(.breaksOutOfForeign)
                || (key == n.font && (tag.value(of: "color") != nil || tag.value(of: "face") != nil || tag.value(of: "size") != nil))
            if !breaksOut {
                if !tag.selfClosing { push(key, .other, tag, foreign: true) }
                return nil
            }
            while let top = state.open.last, top.foreign, !isIntegrationPoint(top) { state.close(from: state.open.count - 1) }
        }
        if key == n.image { key = n.img }
        let kind = kindOf(key)
        if key == n.svg || key == n.math {
            if !tag.selfClosing { push(key, .hiddenText, tag, foreign: true) }
            return nil
        }
        if state.headDepth > 0 && !kind.flags.contains(.headContent) { closeHead() }
        if state.selectDepth > 0 {
            if kind.flags.contains(.closesSelect) {
                if let i = state.open.lastIndex(where: { $0.tag == .select }) { state.close(from: i) }
                if key == n.select { return nil }
            } else if !kind.flags.contains(.allowedInSelect) {
                return nil
            }
        }
        switch key {
        case n.html:
            if !state.open.isEmpty { return nil }
        case n.body:
            sawBody = true
            return nil
        case n.head:
            if sawBody || state.open.contains(where: { $0.tag == .head }) { return nil }
        default: break
        }
        if !state.open.isEmpty && !sawBody && state.headDepth == 0 && !kind.flags.contains(.headContent) { sawBody = true }
        impliedEndTags(before: key, kind)
        if kind.flags.contains(.void) {
            state.start(key: key, tag: kind.tag, attributes: tag)
            return nil
        }
        push(key, kind.tag, tag, foreign: false)
        return kind.switchesTo
    }

    mutating func endTag(_ tag: HTMLTag) {
        let key = ExtractionState.key(tag.name)
        if let top = state.open.last, top.foreign {
            var i = state.open.count - 1
            while i >= 0 && state.open[i].foreign {
                if state.open[i].key == key { state.close(from: i); return }
                i -= 1
            }
        }
        let kind = kindOf(key)
        switch key {
        case n.body, n.html: return
        case n.p:
            if let i = inScope(n.p, .buttonScope) { state.close(from: i) } else { state.breakLine() }
            return
        case n.br:
            state.breakLine()
            return
        case n.li:
            if let i = inScope(n.li, .listItemScope) { state.close(from: i) }
            return
        case n.select:
            if let i = state.open.lastIndex(where: { $0.tag == .select }) { state.close(from: i) }
            return
        default: break
        }
        if kind.flags.contains(.heading) {
            if let i = inScope(where: { kindOf($0.key).flags.contains(.heading) && !$0.foreign }, .defaultScope) { state.close(from: i) }
        } else if kind.flags.contains(.formatting) {
            guard let i = inScope(key, .defaultScope) else { return }
            if state.open[(i + 1)...].contains(where: { isSpecial($0) }) { state.close(only: i) } else { state.close(from: i) }
        } else if kind.flags.contains(.special) {
            if let i = inScope(key, kind.flags.contains(.tableStructure) ? .tableScope : .defaultScope) { state.close(from: i) }
        } else {
            // Any other end tag: the nearest open element of that name, unless a special element comes first.
            guard state.mayBeOpen(key) else { return }
            var i = state.open.count - 1
            while i >= 0 {
                let element = state.open[i]
                if element.key == key && !element.foreign { state.close(from: i); return }
                if isSpecial(element) { return }
                i -= 1
            }
        }
    }

    // MARK: the tree's rules

    private var inForeignContent: Bool {
        guard let top = state.open.last, top.foreign else { return false }
        return !isIntegrationPoint(top)
    }

    private mutating func push(_ key: UInt64, _ tag: ExtractionState.Tag, _ attributes: HTMLTag, foreign: Bool) {
        if state.open.count >= Self.maximumDepth { state.close(from: state.open.count - 1) }
        state.start(key: key, tag: tag, attributes: attributes, foreign: foreign)
    }

    private mutating func closeHead() {
        if let i = state.open.lastIndex(where: { $0.tag == .head }) { state.close(from: i) }
        sawBody = true
    }

    private mutating func impliedEndTags(before key: UInt64, _ kind: Kind) {
        let flags = kind.flags
        if key == n.li ? state.mayBeOpen(n.li) : (key == n.dd || key == n.dt) && (state.mayBeOpen(n.dd) || state.mayBeOpen(n.dt)) {
            let closes: Set<UInt64> = key == n.li ? [n.li] : [n.dd, n.dt]
            var i = state.open.count - 1
            while i >= 0 {
                let element = state.open[i]
                if closes.contains(element.key) && !element.foreign { state.close(from: i); break }
                if isSpecial(element) && element.key != n.address && element.key != n.div && element.key != n.p { break }
                i -= 1
            }
        }
        if flags.contains(.closesP), let i = inScope(n.p, .buttonScope) { state.close(from: i) }
        if flags.contains(.heading), let top = state.open.last, !top.foreign, kindOf(top.key).flags.contains(.heading) {
            state.close(from: state.open.count - 1)
        }
        switch key {
        case n.option, n.optgroup:
            if let top = state.open.last, top.key == n.option { state.close(from: state.open.count - 1) }
        case n.button:
            if let i = inScope(n.button, .defaultScope) { state.close(from: i) }
        case n.td, n.th:
            if state.mayBeOpen(n.td) || state.mayBeOpen(n.th), let i = inScope(where: { $0.key == n.td || $0.key == n.th }, .tableScope) { state.close(from: i) }
        case n.tr:
            if let i = inScope(n.tr, .tableScope) { state.close(from: i) }
        case n.tbody, n.thead, n.tfoot:
            if state.mayBeOpen(n.tbody) || state.mayBeOpen(n.thead) || state.mayBeOpen(n.tfoot), let i = inScope(where: { $0.key == n.tbody || $0.key == n.thead || $0.key == n.tfoot }, .tableScope) { state.close(from: i) }
        default: break
        }
    }

    private enum Scope { case defaultScope, buttonScope, listItemScope, tableScope }

    private func inScope(_ key: UInt64, _ scope: Scope) -> Int? {
        guard state.mayBeOpen(key) else { return nil }
        return inScope(where: { $0.key == key && !$0.foreign }, scope)
    }

    /// The innermost open element that matches, if no element that bounds `scope` comes first.
    private func inScope(where matches: (ExtractionState.Open) -> Bool, _ scope: Scope) -> Int? {
        var i = state.open.count - 1
        while i >= 0 {
            let element = state.open[i]
            if matches(element) { return i }
            if element.foreign {
                if scope != .tableScope && isIntegrationPoint(element) { return nil }
            } else {
                let flags = kindOf(element.key).flags
                switch scope {
                case .tableScope: if flags.contains(.tableScopeBoundary) { return nil }
                case .defaultScope: if flags.contains(.scopeBoundary) { return nil }
                case .buttonScope: if flags.contains(.scopeBoundary) || element.key == n.button { return nil }
                case .listItemScope: if flags.contains(.scopeBoundary) || element.key == n.ol || element.key == n.ul { return nil }
                }
            }
            i -= 1
        }
        return nil
    }

    private func isSpecial(_ element: ExtractionState.Open) -> Bool {
        element.foreign ? isIntegrationPoint(element) : kindOf(element.key).flags.contains(.special)
    }

    private func isIntegrationPoint(_ element: ExtractionState.Open) -> Bool {
        element.foreign && integrationPoints.contains(element.key)
    }

    // MARK: the element table

    struct Flags: OptionSet {
        let rawValue: UInt32
        static let special = Flags(rawValue: 1 << 0)
        static let closesP = Flags(rawValue: 1 << 1)
        static let heading = Flags(rawValue: 1 << 2)
        static let formatting = Flags(rawValue: 1 << 3)
        static let void = Flags(rawValue: 1 << 4)
        static let headContent = Flags(rawValue: 1 << 5)
        static let breaksOutOfForeign = Flags(rawValue: 1 << 6)
        static let scopeBoundary = Flags(rawValue: 1 << 7)
        static let tableScopeBoundary = Flags(rawValue: 1 << 8)
        static let tableStructure = Flags(rawValue: 1 << 9)
        static let allowedInSelect = Flags(rawValue: 1 << 10)
        static let closesSelect = Flags(rawValue: 1 << 11)
    }

    struct Kind {
        var tag: ExtractionState.Tag = .other
        var flags: Flags = []
        var switchesTo: HTMLTokenizerState?
    }

    @inline(__always) func kindOf(_ key: UInt64) -> Kind { table.kind(key) }

    static let kinds: [UInt64: Kind] = {
        // Every element the extractor treats specially, then the tree's flags on top.
        var table = ExtractionState.tags.mapValues { Kind(tag: $0) }
        func add(_ names: String, _ flags: Flags = [], switchesTo: HTMLTokenizerState? = nil) {
            for name in names.split(separator: " ") {
                let key = ExtractionState.key(String(name))
                var kind = table[key] ?? Kind(tag: ExtractionState.tags[key] ?? .other)
                kind.flags.formUnion(flags)
                if let switchesTo { kind.switchesTo = switchesTo }
                table[key] = kind
            }
        }
        add("""
            address applet area article aside base basefont bgsound blockquote body br button caption center col colgroup dd \
            details dir div dl dt embed fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header \
            hgroup hr html iframe img input keygen li link listing main marquee menu meta nav noembed noframes noscript object \
            ol p param plaintext pre script search section select source style summary table tbody td template textarea tfoot \
            th thead title tr track ul wbr xmp
            """, .special)
        add("""
            address article aside blockquote center details dialog dir div dl fieldset figcaption figure footer header hgroup \
            main menu nav ol p search section summary ul h1 h2 h3 h4 h5 h6 pre listing form table hr xmp plaintext li dd dt
            """, .closesP)
        add("h1 h2 h3 h4 h5 h6", .heading)
        add("a b big code em font i nobr s small strike strong tt u", .formatting)
        add("area base basefont bgsound br col embed hr img input keygen link meta param source track wbr frame", .void)
        add("base basefont bgsound link meta title noscript noframes style script template head", .headContent)
        add("""
            b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img li listing menu meta \
            nobr ol p pre ruby s small span strong strike sub sup table tt u ul var
            """, .breaksOutOfForeign)
        add("applet caption html table td th marquee object template", .scopeBoundary)
        add("html table template", .tableScopeBoundary)
        add("table tbody thead tfoot tr td th caption colgroup", .tableStructure)
        add("option optgroup hr script template", .allowedInSelect)
        add("input keygen textarea select", .closesSelect)
        add("title textarea", switchesTo: .rcdata)
        add("style xmp iframe noembed noframes", switchesTo: .rawtext)
        add("script", switchesTo: .scriptData)
        add("plaintext", switchesTo: .plaintext)
        return table
    }()

    static let integrationPointKeys: Set<UInt64> = Set("foreignobject desc title mi mo mn ms mtext annotation-xml".split(separator: " ").map { ExtractionState.key(String($0)) })

    /// The keys of the names the rules test, looked up once per page (a static is a lazy global:
    /// reading one costs a `swift_once` check on every tag).
    struct Names {
        let html, head, body, p, br, li, dd, dt, address, div, ol, ul, button, option, optgroup, select: UInt64
        let td, th, tr, tbody, thead, tfoot, svg, math, font, image, img: UInt64
        static let shared = Names(
            html: k("html"), head: k("head"), body: k("body"), p: k("p"), br: k("br"), li: k("li"), dd: k("dd"), dt: k("dt"),
            address: k("address"), div: k("div"), ol: k("ol"), ul: k("ul"), button: k("button"), option: k("option"),
            optgroup: k("optgroup"), select: k("select"), td: k("td"), th: k("th"), tr: k("tr"), tbody: k("tbody"),
            thead: k("thead"), tfoot: k("tfoot"), svg: k("svg"), math: k("math"), font: k("font"), image: k("image"), img: k("img"))
        private static func k(_ name: String) -> UInt64 { ExtractionState.key(name) }
    }

    /// The element table as an open-addressing hash over the name keys (a `Dictionary` lookup,
    /// with its seeded hasher, cost more than the rest of a start tag's rules).
    struct KindTable {
        private var keys: [UInt64]
        private var values: [Kind]
        private let mask: Int

        init(_ table: [UInt64: Kind]) {
            var size = 16
            while size < table.count * 4 { size *= 2 }
            keys = Array(repeating: 0, count: size)
            values = Array(repeating: Kind(), count: size)
            mask = size - 1
            for (key, value) in table {
                var slot = Self.slot(key, mask)
                while keys[slot] != 0 { slot = (slot + 1) & mask }
                keys[slot] = key
                values[slot] = value
            }
        }

        @inline(__always) static func slot(_ key: UInt64, _ mask: Int) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask }

        @inline(__always) func kind(_ key: UInt64) -> Kind {
            var slot = Self.slot(key, mask)
            while true {
                let k = keys[slot]
                if k == key { return values[slot] }
                if k == 0 { return Kind() }
                slot = (slot + 1) & mask
            }
        }

        static let shared = KindTable(kinds)
    }
}
