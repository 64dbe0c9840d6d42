// A generated catalog for the weak-pairs benchmark: `curate-bench --make-weak-catalog DIR --n IMAGES`
// writes DIR/catalog.sqlite (crawl-dump's schema, marked as filtered with nothing dropped) with
// IMAGES images and 10 × IMAGES page sentences (20 per page) with their FTS5 index, and
// DIR/detections.jsonl with 1-5 detections per image over 200 object classes. Sentences are
// Zipf-distributed filler words with a class name in one sentence of four. No image has an alt
// text, so every image gets weak pairs. bench/weak_pairs_bench.py times `curate weak-pairs` on it.
import Catalog
import Crawl
import CurateCore
import Filters
import Foundation

func makeWeakCatalog(_ folder: String, images: Int) {
    try? FileManager.default.removeItem(atPath: folder)
    try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let store = try! CatalogStore(path: folder + "/catalog.sqlite", create: true)
    let db = store.db
    var rng = SeededRNG(seed: 7)
    func int(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
    let zipf = ZipfWords(count: 30_000, infix: "x", modulus: 89)
    func word() -> String { zipf.next(&rng) }
    let classes = (0..<200).map { "object\(String(UnicodeScalar(97 + $0 % 26)!))\($0)" }
    func someClass() -> String { classes[min(int(200), int(200))] }  // skewed towards the first classes
    let start = Date()
    let pages = max(images / 2, 1), perPage = 20
    try! db.execute("BEGIN")
    try! db.query("INSERT INTO sources (id, path, kind, sha256, bytes, status) VALUES (1, 'generated', 'warc', 'generated', 0, 'done')")
    let page = try! db.prepare("INSERT INTO pages (id, source_id, codec, offset, length, url, refs, sentences) VALUES (?, 1, 'none', 0, 0, ?, 2, ?)")
    let sentence = try! db.prepare("INSERT INTO sentences (page_id, seq, block, text) VALUES (?, ?, 0, ?)")
    for p in 1...pages {
        try! page.run([.integer(Int64(p)), .text("http://site.example/\(p).html"), .integer(Int64(perPage))])
        for s in 0..<perPage {
            var words = (0..<(8 + int(10))).map { _ in word() }
            if int(4) == 0 { words[int(words.count)] = someClass() }
            try! sentence.run([.integer(Int64(p)), .integer(Int64(s)), .text(words.joined(separator: " ") + ".")])
        }
    }
    let image = try! db.prepare("INSERT INTO images (id, sha256, format, width, height, bytes, source_id, codec, offset, length, url) VALUES (?, ?, 'jpeg', 640, 480, 1000, 1, 'none', 0, 0, ?)")
    let ref = try! db.prepare("INSERT INTO refs (page_id, position, chosen_by, alt_state, status, image_id) VALUES (?, 0, 'src', 'missing', 'resolved', ?)")
    var detections = ""
    for i in 1...images {
        let url = "http://cdn.example/img/\(i).jpg"
        try! image.run([.integer(Int64(i)), .text(String(format: "%064x", i)), .text(url)])
        try! ref.run([.integer(Int64(1 + (i - 1) / 2)), .integer(Int64(i))])
        let found = (0..<(1 + int(5))).map { _ in
            let x = Double(int(500)), y = Double(int(380)), w = Double(20 + int(120)), h = Double(20 + int(100))
            return "{\"class\":\"\(someClass())\",\"confidence\":\(Double(25 + int(75)) / 100),\"box\":[\(x),\(y),\(x + w),\(y + h)]}"
        }
        detections += "{\"image\":\"\(url)\",\"width\":640,\"height\":480,\"detections\":[\(found.joined(separator: ","))]}\n"
    }
    // weak-pairs runs after filter: a run that dropped nothing.
    try! store.recordRun(FilterRun.self, options: FilterRun.Options(rules: "# generated: no rules", evalImages: []),
                         summary: FilterRun.Summary(images: images, pairs: 0, rules: [], decontaminated: 0, missingReferences: 0, seconds: 0), started: Date())
    try! db.execute("COMMIT")
    try! store.indexSentences()
    try! db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    try! detections.write(toFile: folder + "/detections.jsonl", atomically: true, encoding: .utf8)
    print(String(format: "# generated %@: %d images, %d sentences on %d pages in %.1f s", folder, images, pages * perPage, pages, Date().timeIntervalSince(start)))
}
