// Migration 2 reads what catalogs of version 1 (curate up to b356a0b) recorded as text: runs'
// options and summaries in three formats, and filter decisions whose only structure was their
// sentence. This file is the one place that parses those sentences, once, when such a catalog
// is opened; nothing reads them afterwards.
import Foundation

enum LegacyRecords {
    static func migrate(_ db: SQLiteDatabase) throws {
        try migrateRuns(db)
        try migrateDecisions(db)
        // Replaced by the runs table: the last filter run and its rules, the last weak-pairs options.
        try db.execute("DELETE FROM meta WHERE key IN ('filter.run', 'filter.rules', 'weak_pairs.options')")
    }

    // MARK: runs

    static func migrateRuns(_ db: SQLiteDatabase) throws {
        var updates: [(Int64, String, String?)] = []
        try db.forEach("SELECT id, command, options, summary FROM runs ORDER BY id") { row in
            let options = row.text(2) ?? "", summary = row.text(3)
            switch row.text(1) {
            case RunCommand.filter.rawValue where !options.hasPrefix("{"):
                updates.append((row.integer(0), try CatalogJSON.encode(FilterRun.Options(rules: options, evalImages: nil)), summary))
            case RunCommand.weakPairs.rawValue where !options.hasPrefix("{"):
                updates.append((row.integer(0), try CatalogJSON.encode(weakPairsOptions(options)),
                                try summary.map { try CatalogJSON.encode(weakPairsSummary($0)) }))
            default:
                break
            }
        }
        for (id, options, summary) in updates {
            try db.query("UPDATE runs SET options = ?, summary = ? WHERE id = ?", [.text(options), summary.map { .text($0) } ?? .null, .integer(id)])
        }
    }

    /// "k=5 all_images=false exclude_own_pages=false require_tag_word=false detections=PATH corpus=pages|P1,P2".
    static func weakPairsOptions(_ text: String) -> WeakPairsRun.Options {
        func value(_ key: String, until next: String?) -> String? {
            guard let start = text.range(of: key + "=") else { return nil }
            let rest = text[start.upperBound...]
            if let next, let end = rest.range(of: " " + next + "=") { return String(rest[..<end.lowerBound]) }
            return String(rest)
        }
        let detections = value("detections", until: "corpus")
        let corpus = value("corpus", until: nil) ?? "pages"
        return WeakPairsRun.Options(k: Int(value("k", until: "all_images") ?? "") ?? 5,
                                    allImages: value("all_images", until: "exclude_own_pages") == "true",
                                    excludeOwnPages: value("exclude_own_pages", until: "require_tag_word") == "true",
                                    requireTagWord: value("require_tag_word", until: "detections") == "true",
                                    detections: detections == "-" ? nil : detections,
                                    corpus: corpus == "pages" ? [] : corpus.split(separator: ",").map(String.init))
    }

    /// The numbers of "weak pairs for N images: tags from the detector N, from context N, none N;
    /// no sentence found N\nwrote N weak pairs (S s, R images/s)[; N detection lines skipped …]".
    static func weakPairsSummary(_ text: String) -> WeakPairsRun.Summary {
        func number(after label: String) -> Double {
            guard let range = text.range(of: label) else { return 0 }
            return Double(text[range.upperBound...].prefix { $0.isNumber || $0 == "." }) ?? 0
        }
        var summary = WeakPairsRun.Summary()
        summary.images = Int(number(after: "weak pairs for "))
        summary.detectorTagged = Int(number(after: "tags from the detector "))
        summary.contextTagged = Int(number(after: "from context "))
        summary.untagged = Int(number(after: "none "))
        summary.unmatched = Int(number(after: "no sentence found "))
        summary.pairs = Int(number(after: "wrote "))
        summary.seconds = number(after: "weak pairs (")
        if let end = text.range(of: " detection lines skipped") {
            summary.detectionLinesSkipped = Int(String(text[..<end.lowerBound].reversed().prefix { $0.isNumber }.reversed())) ?? 0
        }
        return summary
    }

    // MARK: filter decisions

    static func migrateDecisions(_ db: SQLiteDatabase) throws {
        let checks = ruleChecks(try db.query("SELECT value FROM meta WHERE key = 'filter.rules'").first.flatMap { row in
            if case .text(let toml) = row[0] { toml } else { nil }
        } ?? "")
        for (rule, check) in checks {
            try db.query("UPDATE filter_decisions SET check_name = ? WHERE rule = ?", [.text(check), .text(rule)])
        }
        var updates: [(item: String, id: Int64, related: Int64?, eval: String?, distance: Int64?, color: Double?)] = []
        try db.forEach("SELECT item, id, detail FROM filter_decisions WHERE detail IS NOT NULL") { row in
            let item = row.text(0) ?? "", id = row.integer(1), detail = row.text(2) ?? ""
            if let near = nearDuplicate(detail) {
                updates.append((item, id, near.image, nil, near.distance, near.color))
            } else if let eval = evalNearDuplicate(detail) {
                updates.append((item, id, nil, eval.path, eval.distance, eval.color))
            } else if item == "pair", detail.hasPrefix("image "), let image = Int64(detail.dropFirst("image ".count)) {
                updates.append((item, id, image, nil, nil, nil))
            }
        }
        for u in updates {
            try db.query("UPDATE filter_decisions SET related_image_id = ?, eval_path = ?, distance = ?, color_distance = ? WHERE item = ? AND id = ?",
                         [u.related.map { .integer($0) } ?? .null, u.eval.map { .text($0) } ?? .null, u.distance.map { .integer($0) } ?? .null,
                          u.color.map { .real($0) } ?? .null, .text(u.item), .integer(u.id)])
        }
    }

    /// Rule name → check, from the effective rules a version-1 filter run stored (its own printed
    /// TOML: `[[rule]]` blocks of `key = "value"` lines).
    static func ruleChecks(_ toml: String) -> [(String, String)] {
        var out: [(String, String)] = [], name: String?, check: String?
        func flush() { if let name, let check { out.append((name, check)) } }
        for line in toml.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line == "[[rule]]" { flush(); name = nil; check = nil; continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[1].hasPrefix("\""), parts[1].hasSuffix("\""), parts[1].count >= 2 else { continue }
            let value = String(parts[1].dropFirst().dropLast())
            if parts[0] == "name" { name = value } else if parts[0] == "check" { check = value }
        }
        flush()
        return out
    }

    /// "near-duplicate of image N (pHash distance D, colour distance C)".
    static func nearDuplicate(_ detail: String) -> (image: Int64, distance: Int64, color: Double)? {
        let scanner = Scanner(string: detail)
        guard scanner.scanString("near-duplicate of image ") != nil, let image = scanner.scanInt64(),
              scanner.scanString("(pHash distance ") != nil, let distance = scanner.scanInt64(),
              scanner.scanString(", colour distance ") != nil, let color = scanner.scanDouble() else { return nil }
        return (image, distance, color)
    }

    /// "within pHash D (colour distance C) of eval image PATH".
    static func evalNearDuplicate(_ detail: String) -> (path: String, distance: Int64, color: Double)? {
        let scanner = Scanner(string: detail)
        scanner.charactersToBeSkipped = nil
        guard scanner.scanString("within pHash ") != nil, let distance = scanner.scanInt64(),
              scanner.scanString(" (colour distance ") != nil, let color = scanner.scanDouble(),
              scanner.scanString(") of eval image ") != nil else { return nil }
        return (String(detail[scanner.currentIndex...]), distance, color)
    }
}
