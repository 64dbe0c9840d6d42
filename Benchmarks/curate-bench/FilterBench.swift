// A generated catalog for the filter benchmark: `curate-bench --make-filter-catalog DIR --n PAIRS`
// writes DIR/catalog.sqlite with crawl-dump's schema, PAIRS image/text pairs over PAIRS/3 images
// on PAIRS/20 pages, and every image's pHash already in image_features (as after a first run:
// the benchmark measures the rules, not JPEG decoding, which `make bench-images` measures).
// Noise in known amounts (seeded): small and wide images, undecodable images, near-duplicate
// hashes, URLs merged as exact duplicates, generic texts shared by many images, typos (rare
// tokens), boilerplate, too short and too long texts. bench/filter_bench.py times `curate filter` on it.
import Catalog
import Crawl
import CurateCore
import Filters
import Foundation

func makeFilterCatalog(_ folder: String, pairs: Int) {
    try? FileManager.default.removeItem(atPath: folder)
    try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let store = try! CatalogStore(path: folder + "/catalog.sqlite", create: true)
    let db = store.db
    var rng = SeededRNG(seed: 20261122)
    func int(_ range: Range<Int>) -> Int { Int(rng.next() % UInt64(range.count)) + range.lowerBound }
    func chance(_ p: Double) -> Bool { Double(rng.next() % 1_000_000) / 1e6 < p }
    let zipf = ZipfWords(count: 20_000, infix: "", modulus: 97)
    let vocabulary = zipf.words
    func word() -> String { zipf.next(&rng) }
    let generic = (0..<50).map { "generic product photo number \($0)" }
    let images = max(pairs / 3, 10), pages = max(pairs / 20, 2)
    let start = Date()
    try! db.execute("BEGIN")
    try! db.query("INSERT INTO sources (id, path, kind, sha256, bytes, status) VALUES (1, 'generated', 'warc', 'generated', 0, 'done')")
    let page = try! db.prepare("INSERT INTO pages (id, source_id, codec, offset, length, url, title, refs, sentences) VALUES (?, 1, 'none', 0, 0, ?, ?, 0, 2)")
    let sentence = try! db.prepare("INSERT INTO sentences (page_id, seq, block, text) VALUES (?, ?, 0, ?)")
    for p in 1...pages {
        try! page.run([.integer(Int64(p)), .text("http://site\(p % 997).example/page/\(p).html"), .text("Page \(p) of \(word()) \(word())")])
        for s in 0..<2 { try! sentence.run([.integer(Int64(p)), .integer(Int64(s)), .text((0..<12).map { _ in word() }.joined(separator: " ") + ".")]) }
    }
    let image = try! db.prepare("INSERT INTO images (id, sha256, format, width, height, bytes, source_id, codec, offset, length, url) VALUES (?, ?, 'jpeg', ?, ?, 1000, 1, 'none', 0, 0, ?)")
    let url = try! db.prepare("INSERT INTO image_urls (url_key, url, image_id, source_id, via) VALUES (?, ?, ?, 1, 'response')")
    let feature = try! db.prepare("INSERT INTO image_features (image_id, phash, status, detail, signature) VALUES (?, ?, ?, ?, ?)")
    var hashes: [UInt64] = [], signatures: [[UInt8]] = []
    for i in 1...images {
        let (w, h): (Int, Int) = chance(0.10) ? (int(32..<200), int(32..<400)) : chance(0.05) ? (int(800..<1600), int(201..<260)) : (int(256..<1200), int(256..<1200))
        let address = "http://cdn\(i % 13).example/img/\(i).jpg"
        try! image.run([.integer(Int64(i)), .text(String(format: "%064x", i)), .integer(Int64(w)), .integer(Int64(h)), .text(address)])
        try! url.run([.text(address), .text(address), .integer(Int64(i))])
        if chance(0.02) { try! url.run([.text(address + "?copy"), .text(address + "?copy"), .integer(Int64(i))]) }
        var code = rng.next()
        var signature = (0..<192).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        if !hashes.isEmpty && chance(0.05) {  // a near-duplicate of an earlier image: close hash, close colours
            let original = int(0..<hashes.count)
            code = hashes[original]
            for _ in 0..<int(0..<5) { code ^= 1 << UInt64(int(0..<64)) }
            signature = signatures[original].map { UInt8(clamping: Int($0) + int(-3..<4)) }
        }
        hashes.append(code)
        signatures.append(signature)
        if chance(0.002) { try! feature.run([.integer(Int64(i)), .null, .text("corrupt"), .text("generated"), .null]) }
        else { try! feature.run([.integer(Int64(i)), .integer(Int64(bitPattern: code)), .text("ok"), .null, .text(Hex.encode(signature))]) }
    }
    let ref = try! db.prepare("INSERT INTO refs (id, page_id, position, chosen_by, alt_state, status, image_id) VALUES (?, ?, 0, 'src', 'present', 'resolved', ?)")
    let pair = try! db.prepare("INSERT INTO pairs (id, image_id, ref_id, page_id, text, text_source) VALUES (?, ?, ?, ?, ?, 'alt')")
    for p in 1...pairs {
        let imageID = Int64(int(1..<(images + 1))), pageID = Int64(int(1..<(pages + 1)))
        var text: String
        switch Double(rng.next() % 1000) / 1000 {
        case ..<0.03: text = generic[int(0..<generic.count)]
        case ..<0.05: text = (0..<int(4..<12)).map { _ in word() }.joined(separator: " ") + " " + String(vocabulary[int(0..<100)].reversed()) + "q"
        case ..<0.06: text = "IMG_\(int(1000..<9999)).jpg"
        case ..<0.08: text = (0..<int(1..<3)).map { _ in word() }.joined(separator: " ")
        case ..<0.09: text = (0..<25).map { _ in word() }.joined(separator: " ")
        default: text = (0..<int(4..<16)).map { _ in word() }.joined(separator: " ")
        }
        try! ref.run([.integer(Int64(p)), .integer(pageID), .integer(imageID)])
        try! pair.run([.integer(Int64(p)), .integer(imageID), .integer(Int64(p)), .integer(pageID), .text(text)])
    }
    try! db.execute("COMMIT")
    try! store.indexSentences()
    try! db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(String(format: "# generated %@: %d pairs, %d images, %d pages in %.1f s", folder, pairs, images, pages, Date().timeIntervalSince(start)))
}
