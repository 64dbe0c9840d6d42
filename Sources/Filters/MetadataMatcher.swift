/// MetaCLIP's substring matching (Xu et al., 2023; its released `substr_matching.py`): a text
/// matches an entry when the entry, padded with a space on each side that does not start or end
/// with a CJK-like or punctuation character, occurs in the text after MetaCLIP's `spacing` (a space
/// added at both ends; `, . ; : ? ! `` ` `` each wrapped in spaces; tab, newline and carriage return
/// made spaces). Case-sensitive, as MetaCLIP matches. All entries at once with an Aho-Corasick
/// automaton over the UTF-8 bytes (MetaCLIP's `pyahocorasick` path does the same): the cost is the
/// text's length plus the matches, not the number of entries.
public final class MetadataMatcher: @unchecked Sendable {
    public let entries: [String]
    /// The automaton, nodes numbered breadth first so that a node's children are consecutive:
    /// children of `n` are `firstChild[n] ..< firstChild[n] + childCount[n]`, the byte into a node
    /// is `label[node]`.
    private var label: [UInt8] = [0]
    private var firstChild: [Int32] = []
    private var childCount: [UInt16] = []
    /// The entry a node completes, or -1; the nearest node on the failure chain that completes one.
    private var output: [Int32] = []
    private var fail: [Int32] = []
    private var outputLink: [Int32] = []
    /// The root's children by byte (0: stay at the root).
    private var rootNext = [Int32](repeating: 0, count: 256)
    /// Entries whose padded form repeats an earlier entry's: they never match (the first one does).
    public private(set) var repeated = 0

    public init(entries: [String]) {
        self.entries = entries
        build()
    }

    public var nodeCount: Int { label.count }

    // MARK: spacing

    /// Python's `string.punctuation` and MetaCLIP's additional (CJK) punctuation.
    static let punctuation: Set<Unicode.Scalar> = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)
        .union("，。、；：？！“”‘’（）【】《》〈〉「」『』～—".unicodeScalars)

    /// MetaCLIP's `is_cjk_or_similar`: CJK ideographs and radicals, Thai, Lao, Burmese, Khmer,
    /// Tibetan, and punctuation — characters after or before which an entry needs no space.
    static func isCJKOrSimilar(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F, 0x2B820...0x2CEAF,
             0x2CEB0...0x2EBEF, 0xF900...0xFAFF, 0x2E80...0x2EFF, 0x2F00...0x2FDF, 0x2FF0...0x2FFF: true
        case 0x0E00...0x0E7F, 0x0E80...0x0EFF, 0x1000...0x109F, 0x1780...0x17FF, 0x0F00...0x0FFF: true
        default: punctuation.contains(c)
        }
    }

    /// An entry as the automaton holds it (MetaCLIP's `get_spaced_metadata`).
    static func spaced(_ entry: String) -> [UInt8] {
        guard let first = entry.unicodeScalars.first, let last = entry.unicodeScalars.last else { return [] }
        var out: [UInt8] = isCJKOrSimilar(first) ? [] : [0x20]
        out += Array(entry.utf8)
        if !isCJKOrSimilar(last) { out.append(0x20) }
        return out
    }

    /// A text as it is matched (MetaCLIP's `spacing`), into `out`.
    static func spacing(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.append(0x20)
        for byte in text {
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: "."), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "?"), UInt8(ascii: "!"), UInt8(ascii: "`"):
                out.append(0x20); out.append(byte); out.append(0x20)
            case 0x09, 0x0A, 0x0D: out.append(0x20)
            default: out.append(byte)
            }
        }
        out.append(0x20)
    }

    // MARK: building

    private func build() {
        // A trie from the padded entries in byte order: each new key shares a prefix with the one
        // before it, and its new nodes are the last children of their parents.
        var keys: [(key: [UInt8], entry: Int32)] = []
        keys.reserveCapacity(entries.count)
        for (i, entry) in entries.enumerated() {
            let key = Self.spaced(entry)
            if !key.isEmpty { keys.append((key, Int32(i))) }
        }
        keys.sort { $0.key.lexicographicallyPrecedes($1.key) }
        var tLabel: [UInt8] = [0], tFirst: [Int32] = [-1], tNext: [Int32] = [-1], tLast: [Int32] = [-1], tOut: [Int32] = [-1]
        var path: [Int32] = [0]
        var previous: [UInt8] = []
        for (key, entry) in keys {
            var common = 0
            while common < min(key.count, previous.count) && key[common] == previous[common] { common += 1 }
            if common == key.count && common == previous.count { repeated += 1; continue }
            path.removeLast(path.count - 1 - common)
            for depth in common..<key.count {
                let parent = path[depth]
                let node = Int32(tLabel.count)
                tLabel.append(key[depth]); tFirst.append(-1); tNext.append(-1); tLast.append(-1); tOut.append(-1)
                if tLast[Int(parent)] < 0 { tFirst[Int(parent)] = node } else { tNext[Int(tLast[Int(parent)])] = node }
                tLast[Int(parent)] = node
                path.append(node)
            }
            tOut[Int(path[key.count])] = entry
            previous = key
        }
        // Breadth first: new numbers, children consecutive, failure and output links.
        let count = tLabel.count
        label = [UInt8](repeating: 0, count: count)
        firstChild = [Int32](repeating: 0, count: count)
        childCount = [UInt16](repeating: 0, count: count)
        output = [Int32](repeating: -1, count: count)
        fail = [Int32](repeating: 0, count: count)
        outputLink = [Int32](repeating: -1, count: count)
        var queue: [Int32] = [0]
        queue.reserveCapacity(count)
        var head = 0
        while head < queue.count {
            let old = queue[head]
            let node = Int32(head)
            head += 1
            output[Int(node)] = tOut[Int(old)]
            firstChild[Int(node)] = Int32(queue.count)
            var child = tFirst[Int(old)]
            var n = 0
            while child >= 0 {
                label[queue.count] = tLabel[Int(child)]
                queue.append(child)
                child = tNext[Int(child)]
                n += 1
            }
            childCount[Int(node)] = UInt16(n)
        }
        for c in 0..<Int(childCount[0]) { rootNext[Int(label[1 + c])] = Int32(1 + c) }
        // Failure links, breadth first (a node's failure target is shallower, so already linked).
        for node in 1..<count {
            let start = Int(firstChild[node])
            for child in start..<(start + Int(childCount[node])) {
                let byte = label[child]
                var f = fail[node]
                var target: Int32 = 0
                while true {
                    if let next = step(f, byte) { target = next; break }
                    if f == 0 { break }
                    f = fail[Int(f)]
                }
                fail[child] = target
                outputLink[child] = output[Int(target)] >= 0 ? target : outputLink[Int(target)]
            }
        }
    }

    /// The child of `node` by `byte`, or nil.
    @inline(__always) private func step(_ node: Int32, _ byte: UInt8) -> Int32? {
        if node == 0 { let next = rootNext[Int(byte)]; return next == 0 ? nil : next }
        let start = Int(firstChild[Int(node)]), end = start + Int(childCount[Int(node)])
        var i = start
        while i < end { if label[i] == byte { return Int32(i) }; i += 1 }
        return nil
    }

    // MARK: matching

    /// What one thread needs to match texts: the spaced text and which entries it already found.
    public struct Scratch {
        var spaced: [UInt8] = []
        var seen: [UInt32]
        var stamp: UInt32 = 0
        public init(entries: Int) { seen = [UInt32](repeating: 0, count: entries) }
    }

    public func scratch() -> Scratch { Scratch(entries: entries.count) }

    /// The entries `text` matches, each once, in increasing order, appended to `found`.
    public func match(_ text: String, scratch: inout Scratch, into found: inout [Int32]) {
        var text = text
        text.withUTF8 { match($0, scratch: &scratch, into: &found) }
    }

    public func match(_ text: UnsafeBufferPointer<UInt8>, scratch: inout Scratch, into found: inout [Int32]) {
        Self.spacing(text, into: &scratch.spaced)
        scratch.stamp &+= 1
        if scratch.stamp == 0 { for i in scratch.seen.indices { scratch.seen[i] = 0 }; scratch.stamp = 1 }
        let stamp = scratch.stamp
        let start = found.count
        var node: Int32 = 0
        for byte in scratch.spaced {
            while true {
                if let next = step(node, byte) { node = next; break }
                if node == 0 { break }
                node = fail[Int(node)]
            }
            var hit = output[Int(node)] >= 0 ? node : outputLink[Int(node)]
            while hit >= 0 {
                let entry = output[Int(hit)]
                if scratch.seen[Int(entry)] != stamp { scratch.seen[Int(entry)] = stamp; found.append(entry) }
                hit = outputLink[Int(hit)]
            }
        }
        found[start...].sort()
    }
}
