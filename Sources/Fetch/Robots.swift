import Foundation

/// A robots.txt file as RFC 9309 reads it: groups of `user-agent` lines, each with `allow` and
/// `disallow` rules. The group for a crawler is the one whose user-agent matches its product
/// token (case-insensitive), else the `*` group, else none (everything allowed); several groups
/// for the same agent combine. Of the rules that match a path, the longest pattern wins, and
/// `allow` wins a tie. Patterns take `*` (any characters) and a final `$` (the end of the path).
/// `crawl-delay` (not in the RFC, widely honoured) is read from the same group.
public struct RobotsRules: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        public var allow: Bool
        public var pattern: String
    }

    public var rules: [Rule]
    public var crawlDelay: Double?

    /// Every path allowed: what a missing robots.txt (HTTP 4xx) means.
    public static let allowAll = RobotsRules(rules: [], crawlDelay: nil)
    /// Nothing allowed: what an unreachable one (HTTP 5xx) means.
    public static let disallowAll = RobotsRules(rules: [Rule(allow: false, pattern: "/")], crawlDelay: nil)

    public init(rules: [Rule], crawlDelay: Double?) {
        self.rules = rules
        self.crawlDelay = crawlDelay
    }

    /// The rules of `text` for the crawler whose product token is `agent` (like "curate").
    /// RFC 9309 asks crawlers to parse at least 500 KiB; what follows is ignored.
    public init(parsing text: String, agent: String) {
        let agent = agent.lowercased()
        var specific: [Rule] = [], star: [Rule] = []
        var specificDelay: Double?, starDelay: Double?
        var sawSpecific = false, sawStar = false
        var groupAgents: [String] = []
        var inRules = false
        for rawLine in text.prefix(500 * 1024).split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "user-agent":
                if inRules { groupAgents = []; inRules = false }
                groupAgents.append(value.lowercased())
            case "allow", "disallow", "crawl-delay":
                inRules = true
                let forUs = groupAgents.contains(agent)
                let forStar = groupAgents.contains("*")
                sawSpecific = sawSpecific || forUs
                sawStar = sawStar || forStar
                if key == "crawl-delay" {
                    let delay = Double(value)
                    if forUs { specificDelay = delay ?? specificDelay }
                    if forStar { starDelay = delay ?? starDelay }
                    continue
                }
                // An empty disallow allows everything: it adds no rule.
                guard !value.isEmpty else { continue }
                let rule = Rule(allow: key == "allow", pattern: value)
                if forUs { specific.append(rule) }
                if forStar { star.append(rule) }
            default:
                continue   // sitemap and other records
            }
        }
        if sawSpecific {
            self.init(rules: specific, crawlDelay: specificDelay)
        } else if sawStar {
            self.init(rules: star, crawlDelay: starDelay)
        } else {
            self.init(rules: [], crawlDelay: nil)
        }
    }

    /// Whether `path` (with its query, as sent in the request line) may be fetched.
    public func allows(_ path: String) -> Bool {
        if path == "/robots.txt" { return true }
        var best: Rule?
        for rule in rules where Self.matches(rule.pattern, path) {
            guard let current = best else { best = rule; continue }
            if rule.pattern.count > current.pattern.count || (rule.pattern.count == current.pattern.count && rule.allow) { best = rule }
        }
        return best?.allow ?? true
    }

    /// `*` matches any run of characters, a final `$` the end; otherwise a pattern matches a prefix.
    static func matches(_ pattern: String, _ path: String) -> Bool {
        var pattern = Array(pattern.utf8)
        let anchored = pattern.last == UInt8(ascii: "$")
        if anchored { pattern.removeLast() }
        let pieces = pattern.split(separator: UInt8(ascii: "*"), omittingEmptySubsequences: false).map(Array.init)
        let text = Array(path.utf8)
        var position = 0
        for (k, piece) in pieces.enumerated() {
            if k == 0 {
                guard text.count >= piece.count, Array(text[0..<piece.count]) == piece else { return false }
                position = piece.count
                continue
            }
            if k == pieces.count - 1 && anchored {
                // The last piece must sit at the very end, at or after the position reached.
                return text.count - piece.count >= position && Array(text[(text.count - piece.count)...]) == piece
            }
            guard let found = find(piece, in: text, from: position) else { return false }
            position = found + piece.count
        }
        return !anchored || position == text.count
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        if needle.isEmpty { return start }
        guard haystack.count >= needle.count else { return nil }
        var i = start
        while i + needle.count <= haystack.count {
            if haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }
}
