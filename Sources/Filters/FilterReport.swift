import Catalog
import Foundation

/// What a run did, rule by rule in order: the table `curate filter` prints and stores.
public struct FilterReport: Sendable {
    /// One rule's line: what the runs table records, too.
    public typealias Row = FilterRun.Summary.Rule

    public var images: Int
    public var pairs: Int
    public var rows: [Row]
    public var decontaminated: Int
    /// References whose image the dump does not hold (crawl-dump's `missing`): not pairs, so no rule sees them.
    public var missingReferences: Int = 0
    public var seconds: Double
    public var dryRun: Bool

    public var keptImages: Int { rows.last?.imagesLeft ?? images }
    public var keptPairs: Int { rows.last?.pairsLeft ?? pairs }

    /// The row of rule `name`.
    public func row(_ name: String) -> Row? { rows.first { $0.rule == name } }

    /// The table as text, one rule per line.
    public var table: String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func num(_ v: Int, _ n: Int) -> String { let s = String(v); return String(repeating: " ", count: max(0, n - s.count)) + s }
        var out = pad("rule", 28) + pad("set", 8) + "dropped images  dropped pairs  images left  pairs left\n"
        out += pad("(catalog)", 36) + String(repeating: " ", count: 29) + num(images, 11) + num(pairs, 12)
        if missingReferences > 0 { out += "   and \(missingReferences) references whose image is not in the dump (refs.status = 'missing')" }
        out += "\n"
        for row in rows {
            out += pad(row.rule, 28) + pad(row.set, 8)
            if !row.enabled { out += "(disabled)\n"; continue }
            out += num(row.droppedImages, 14) + num(row.droppedPairs, 15) + num(row.imagesLeft, 13) + num(row.pairsLeft, 12)
            if let note = row.note { out += "   " + note }
            out += "\n"
        }
        out += "kept \(keptImages) of \(images) images and \(keptPairs) of \(pairs) pairs"
        if decontaminated > 0 { out += "; \(decontaminated) images near evaluation images listed in decontamination.jsonl" }
        out += String(format: " (%.1f s%@)", seconds, dryRun ? ", dry run: nothing written" : "")
        return out
    }

    /// The same figures as the runs table records them.
    public var record: FilterRun.Summary {
        FilterRun.Summary(images: images, pairs: pairs, rules: rows, decontaminated: decontaminated, missingReferences: missingReferences, seconds: seconds)
    }
}

extension Filter {
    func makeReport(seconds: Double) -> FilterReport {
        var imagesByRule = [Int](repeating: 0, count: rules.count), pairsByRule = [Int](repeating: 0, count: rules.count)
        for d in imageDropped where d >= 0 { imagesByRule[Int(d)] += 1 }
        for d in pairDropped where d >= 0 { pairsByRule[Int(d)] += 1 }
        var imagesLeft = imageIDs.count, pairsLeft = pairIDs.count
        var rows: [FilterReport.Row] = []
        // Image rules run first, then text rules: the table follows that order.
        let order = rules.indices.filter { rules[$0].check.isImageCheck } + rules.indices.filter { !rules[$0].check.isImageCheck }
        for r in order {
            let rule = rules[r]
            imagesLeft -= imagesByRule[r]
            pairsLeft -= pairsByRule[r]
            rows.append(.init(rule: rule.name, set: rule.set, enabled: rule.enabled, droppedImages: imagesByRule[r], droppedPairs: pairsByRule[r],
                              imagesLeft: imagesLeft, pairsLeft: pairsLeft, note: notes[rule.name]))
        }
        return FilterReport(images: imageIDs.count, pairs: pairIDs.count, rows: rows, decontaminated: decontamination.count,
                            missingReferences: missingReferences, seconds: seconds, dryRun: options.dryRun)
    }
}
