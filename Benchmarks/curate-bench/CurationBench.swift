// The curation rules' own work, on one thread, over a catalog's pair texts (bench/filter_bench.py):
//   curate-bench --curation CATALOG [METADATA]
// prints one JSON line: texts, CLD2's texts/s, and with METADATA (one entry per line) the
// automaton's build time, MetaCLIP matching's texts/s with the matches found, and balanced
// sampling's pairs/s (the counts, t from a tail share of 0.1, every pair's content seed and draws).
import Catalog
import Filters
import Foundation

func curationBench(catalog: String, metadata: String?) {
    let store = try! CatalogStore(path: catalog)
    var texts: [String] = [], images: [Int64] = []
    try! store.forEachPairText { _, image, text in texts.append(text); images.append(image) }
    var out: [String: Any] = ["texts": texts.count, "cld2": LanguageIdentifier.version]
    var start = Date()
    var english = 0
    for text in texts where LanguageIdentifier.identify(text).language == "en" { english += 1 }
    out["language_texts_per_s"] = Double(texts.count) / Date().timeIntervalSince(start)
    out["english"] = english
    if let metadata {
        let entries = try! MetadataFile.read(path: metadata, rule: "bench")
        start = Date()
        let matcher = MetadataMatcher(entries: entries)
        out["entries"] = entries.count
        out["automaton_seconds"] = Date().timeIntervalSince(start)
        out["automaton_nodes"] = matcher.nodeCount
        var scratch = matcher.scratch(), found: [Int32] = [], starts = [0]
        start = Date()
        for text in texts {
            matcher.match(text, scratch: &scratch, into: &found)
            starts.append(found.count)
        }
        out["match_texts_per_s"] = Double(texts.count) / Date().timeIntervalSince(start)
        out["matches"] = found.count

        var shas: [Int64: String] = [:]
        try! store.forEachImageSize { id, _, _, sha in shas[id] = sha }
        start = Date()
        var counts = [Int](repeating: 0, count: entries.count)
        for entry in found { counts[Int(entry)] += 1 }
        let sampling = BalancedSampling(counts: counts, t: 0, tailShare: 0.1, seed: 0)
        var kept = 0
        for p in texts.indices {
            let pair = BalancedSampling.contentSeed(imageSHA: shas[images[p]] ?? "", text: texts[p])
            if found[starts[p]..<starts[p + 1]].contains(where: { sampling.keeps(pair: pair, entry: $0) }) { kept += 1 }
        }
        out["balance_pairs_per_s"] = Double(texts.count) / Date().timeIntervalSince(start)
        out["balance_t"] = sampling.threshold
        out["balance_kept"] = kept
    }
    print(String(decoding: try! JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), as: UTF8.self))
}
