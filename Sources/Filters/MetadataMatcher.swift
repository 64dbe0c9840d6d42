/// MetaCLIP's substring matching (Xu et al., 2023; its released `substr_matching.py`): a text
/// matches an entry when the entry, padded with a space on each side that does not start or end
/// with a CJK-like or punctuation character, occurs in the text after MetaCLIP's `spacing` (a space
/// added at both ends; `, . ; : ? ! `` ` `` each wrapped in spaces; tab, newline and carriage return
/// made spaces). Case-sensitive, as MetaCLIP matches. All entries at once with an Aho-Corasick
/// automaton over the UTF-8 bytes (MetaCLIP's `pyahocorasick` path does the same): the cost is the
/// text's length plus the matches, not the number of entries.
public final class MetadataMatcher: @unchecked Sendable {
    public let entries: [String]

    /// One automaton node, 16 bytes, so that a step reads one record. Nodes are numbered breadth
    /// first, so a node's children are consecutive and in byte order: `firstChild ..< firstChild +
    /// childCount`, the byte into node `n` is `label[n]`. A node with `denseThreshold` children or
    /// more (and the root) has a row of 256 next nodes instead: `childCount` is then `-1 - row`.
    struct Node {
        var firstChild: Int32 = 0
        var childCount: Int32 = 0
        /// The longest proper suffix of this node's bytes that is a node.
        var fail: Int32 = 0
        /// The first node on the failure chain from here (this one included) that completes an
        /// entry, or -1: the entries found on reaching a node are those of `report`, then those
        /// of `nodes[fail of report].report`, and so on.
        var report: Int32 = -1
    }
    private var nodes: [Node] = []
    private var label: [UInt8] = []
    /// The entry each node completes, or -1.
    private var output: [Int32] = []
    /// Rows of 256 next nodes (0: no child, as the root is nobody's child).
    private var denseNext: [Int32] = []
    /// A node this wide is looked up in a row: a scan of its labels would cost more.
    static let denseThreshold = 12
    /// Entries whose padded form repeats an earlier entry's: they never match (the first one does).
    public private(set) var repeated = 0

    public init(entries: [String]) {
        self.entries = entries
        build()
    }

    public var nodeCount: Int { nodes.count }
    /// Nodes looked up in a row of 256 (the root and the wide ones).
    var rowCount: Int { denseNext.count / 256 }

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
        // Breadth first: new numbers, children consecutive (and still in byte order).
        let count = tLabel.count
        nodes = [Node](repeating: Node(), count: count)
        label = [UInt8](repeating: 0, count: count)
        output = [Int32](repeating: -1, count: count)
        var children = [Int32](repeating: 0, count: count)
        var queue: [Int32] = [0]
        queue.reserveCapacity(count)
        var head = 0
        while head < queue.count {
            let old = queue[head]
            let node = head
            head += 1
            output[node] = tOut[Int(old)]
            nodes[node].firstChild = Int32(queue.count)
            var child = tFirst[Int(old)]
            while child >= 0 {
                label[queue.count] = tLabel[Int(child)]
                queue.append(child)
                child = tNext[Int(child)]
                children[node] += 1
            }
        }
        // Wide nodes get a row; the others keep their count.
        for node in 0..<count {
            let n = Int(children[node])
            guard node == 0 || n >= Self.denseThreshold else { nodes[node].childCount = Int32(n); continue }
            let row = denseNext.count / 256
            denseNext += [Int32](repeating: 0, count: 256)
            let first = Int(nodes[node].firstChild)
            for child in first..<(first + n) { denseNext[row * 256 + Int(label[child])] = Int32(child) }
            nodes[node].childCount = -1 - Int32(row)
        }
        // Failure links breadth first (a node's failure target is shallower, so already linked),
        // and each node's first reporting node on its chain.
        for node in 0..<count {
            if node > 0 {
                nodes[node].report = output[node] >= 0 ? Int32(node) : nodes[Int(nodes[node].fail)].report
            }
            let first = Int(nodes[node].firstChild)
            for child in first..<(first + Int(children[node])) {
                let byte = label[child]
                var target: Int32 = 0
                if node > 0 {
                    var f = nodes[node].fail
                    while true {
                        if let next = step(f, byte) { target = next; break }
                        if f == 0 { break }
                        f = nodes[Int(f)].fail
                    }
                }
                nodes[child].fail = target
            }
        }
    }

    /// The child of `node` by `byte`, or nil.
    @inline(__always) private func step(_ node: Int32, _ byte: UInt8) -> Int32? {
        nodes.withUnsafeBufferPointer { n in
            label.withUnsafeBufferPointer { l in
                denseNext.withUnsafeBufferPointer { d in Self.step(node, byte, n, l, d) }
            }
        }
    }

    @inline(__always) private static func step(_ node: Int32, _ byte: UInt8, _ nodes: UnsafeBufferPointer<Node>,
                                               _ label: UnsafeBufferPointer<UInt8>, _ dense: UnsafeBufferPointer<Int32>) -> Int32? {
        let n = nodes[Int(node)]
        if n.childCount < 0 {
            let next = dense[Int(-1 - n.childCount) &* 256 &+ Int(byte)]
            return next == 0 ? nil : next
        }
        var i = Int(n.firstChild)
        let end = i &+ Int(n.childCount)
        while i < end {
            let c = label[i]
            if c == byte { return Int32(i) }
            if c > byte { return nil }  // children are in byte order
            i &+= 1
        }
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
        nodes.withUnsafeBufferPointer { nodes in
            label.withUnsafeBufferPointer { label in
                denseNext.withUnsafeBufferPointer { dense in
                    output.withUnsafeBufferPointer { output in
                        scratch.seen.withUnsafeMutableBufferPointer { seen in
                            var node: Int32 = 0
                            for byte in scratch.spaced {
                                while true {
                                    if let next = Self.step(node, byte, nodes, label, dense) { node = next; break }
                                    if node == 0 { break }
                                    node = nodes[Int(node)].fail
                                }
                                var hit = nodes[Int(node)].report
                                while hit >= 0 {
                                    let entry = Int(output[Int(hit)])
                                    if seen[entry] != stamp { seen[entry] = stamp; found.append(Int32(entry)) }
                                    hit = nodes[Int(nodes[Int(hit)].fail)].report
                                }
                            }
                        }
                    }
                }
            }
        }
        found[start...].sort()
    }
}
