import Catalog
import CurateCore
import Foundation

// What `curate filter` writes to the catalog (Catalog's schema; README: "The catalog"):
//   image_features    the pHash cache, kept across runs (Filter+Images.swift)
//   filter_decisions  one row per dropped item of the last run, with its structured fields
//   decontamination   the images near evaluation images in the last run
//   text_languages    CLD2's language and confidence of every pair's text
//   metadata_entries  MetaCLIP's counts per metadata entry, its probability and what was kept
//   runs              the run: its rules and eval paths, and the table it printed
// all replaced in one transaction, so a killed run leaves the previous run's whole.
extension Filter {
    /// Replaces the previous run's decisions with this run's and records the run, in one
    /// transaction; then writes WORK/decontamination.jsonl.
    func save(_ report: FilterReport, started: Date) throws {
        let listed = decontamination.map { (imageID: imageIDs[Int($0.image)], evalPath: $0.eval, distance: $0.distance) }
        try db.execute("BEGIN IMMEDIATE")
        do {
            // Written as they are made: a million decisions are never held as values.
            try store.replaceDecisions(decontamination: listed) { add in
                for i in imageIDs.indices where imageDropped[i] >= 0 {
                    let rule = rules[Int(imageDropped[i])]
                    var detail = imageNear[Int32(i)] ?? FilterDecision.Detail(nil)
                    detail.text = imageDetail[Int32(i)]
                    try add(FilterDecision(item: .image, id: imageIDs[i], rule: rule.name, check: rule.check.rawValue, detail: detail))
                }
                for p in pairIDs.indices where pairDropped[p] >= 0 {
                    let rule = rules[Int(pairDropped[p])]
                    // A pair an image rule dropped went with its image.
                    let image: Int64? = rule.check.isImageCheck && pairImage[p] >= 0 ? imageIDs[Int(pairImage[p])] : nil
                    try add(FilterDecision(item: .pair, id: pairIDs[p], rule: rule.name, check: rule.check.rawValue,
                                           detail: .init(pairDetail[Int32(p)], relatedImageID: image)))
                }
            }
            try store.replaceLanguages { add in
                for p in pairIDs.indices {
                    let confidence = Double(curation.pairConfidence[p])
                    try add(pairIDs[p], curation.languageCodes[Int(curation.pairLanguage[p])], confidence, confidence > 0)
                }
            }
            try store.replaceMetadataEntries(metadataRows())
            try store.recordRun(FilterRun.self, options: FilterRun.Options(rules: options.rules.toml, evalImages: options.evalPaths),
                                summary: report.record, started: started)
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
        var lines = ""
        for entry in listed {
            let line = DecontaminationLine(imageID: entry.imageID, eval: entry.evalPath, distance: entry.distance, url: try store.imageURL(entry.imageID) ?? "")
            lines += try CatalogJSON.encode(line) + "\n"
        }
        try AtomicFile.write(Array(lines.utf8), to: options.workDirectory + "/decontamination.jsonl")
    }
}

/// One line of WORK/decontamination.jsonl.
struct DecontaminationLine: Codable {
    var imageID: Int64
    var eval: String
    var distance: Int
    var url: String
}
