// The curation rules' own work, on one thread, over a catalog's pair texts (bench/filter_bench.py):
//   curate-bench --curation CATALOG [METADATA]
// prints one JSON line: texts, CLD2's texts/s, and with METADATA (one entry per line) the
// automaton's build time and MetaCLIP matching's texts/s with the matches found.
import Catalog
import Filters
import Foundation

func curationBench(catalog: String, metadata: String?) {
    let store = try! CatalogStore(path: catalog)
    var texts: [String] = []
    try! store.forEachPairText { _, _, text in texts.append(text) }
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
        var scratch = matcher.scratch(), found: [Int32] = []
        var matches = 0
        start = Date()
        for text in texts {
            found.removeAll(keepingCapacity: true)
            matcher.match(text, scratch: &scratch, into: &found)
            matches += found.count
        }
        out["match_texts_per_s"] = Double(texts.count) / Date().timeIntervalSince(start)
        out["matches"] = matches
    }
    print(String(decoding: try! JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), as: UTF8.self))
}
