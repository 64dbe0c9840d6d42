import Catalog
import Foundation
import Imaging
import Testing
import TestSupport
@testable import Filters

/// One hand-made image or pair per drop reason, in a catalog written here (Catalog's schema;
/// images are files of a mirror folder), each expected to be dropped by exactly its rule.
@Suite struct ReasonTests {
    struct Made {
        var folder: String
        var imageIDs: [String: Int64] = [:]   // label → image id
        var pairIDs: [String: Int64] = [:]    // label → pair id
    }

    static func makeCatalog() throws -> Made {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("curate-reasons-\(UUID().uuidString)").path
        let mirror = folder + "/mirror"
        try FileManager.default.createDirectory(atPath: mirror + "/eval", withIntermediateDirectories: true)
        let db = try CatalogStore(path: folder + "/catalog.sqlite", create: true).db
        try db.execute("""
            INSERT INTO sources (id, path, kind, sha256, bytes, status) VALUES (1, '\(mirror)', 'mirror', 'made', 0, 'done');
            INSERT INTO pages (id, source_id, codec, offset, length, url, title, refs, sentences) VALUES
                (1, 1, 'none', 0, 0, 'http://example.test/a.html', 'A page', 0, 0), (2, 1, 'none', 0, 0, 'http://example.test/b.html', 'Another page', 0, 0);
            """)
        var made = Made(folder: folder)
        var nextImage: Int64 = 1, nextPair: Int64 = 1
        func image(_ label: String, width: Int, height: Int, bytes: [UInt8], url: String? = nil, page: Int64 = 1) throws {
            let name = "\(label).img"
            try Data(bytes).write(to: URL(fileURLWithPath: mirror + "/" + name))
            let id = nextImage
            nextImage += 1
            try db.query("INSERT INTO images (id, sha256, format, width, height, bytes, source_id, path, codec, offset, length, url) VALUES (?, ?, 'jpeg', ?, ?, ?, 1, ?, 'none', 0, ?, ?)",
                         [.integer(id), .text("sha-\(label)"), .integer(Int64(width)), .integer(Int64(height)), .integer(Int64(bytes.count)), .text(name),
                          .integer(Int64(bytes.count)), .text(url ?? "http://example.test/img/\(label).jpg")])
            try db.query("INSERT INTO refs (page_id, position, chosen_by, alt_state, status, image_id) VALUES (?, 0, 'src', 'present', 'resolved', ?)",
                         [.integer(page), .integer(id)])
            made.imageIDs[label] = id
        }
        func pair(_ label: String, image: String, _ text: String) throws {
            try db.query("INSERT INTO pairs (id, image_id, ref_id, page_id, text, text_source) VALUES (?, ?, 1, 1, ?, 'alt')",
                         [.integer(nextPair), .integer(made.imageIDs[image]!), .text(text)])
            made.pairIDs[label] = nextPair
            nextPair += 1
        }
        func jpeg(_ seed: UInt64, _ w: Int = 320, _ h: Int = 240) throws -> [UInt8] {
            try TestImages.photo(width: w, height: h, seed: seed).encoded(.jpeg(quality: 90))
        }
        let good = "a red bicycle leaning against a stone wall"
        try image("no_size", width: 0, height: 0, bytes: jpeg(1))
        try image("small", width: 150, height: 300, bytes: jpeg(2, 150, 300))
        try image("wide", width: 900, height: 250, bytes: jpeg(3, 900, 250))
        try image("corrupt", width: 400, height: 400, bytes: Array(try jpeg(4).prefix(20)) + [UInt8](repeating: 0x55, count: 500))
        try image("porn", width: 400, height: 300, bytes: jpeg(5, 400, 300), url: "http://example.test/xxx-gallery/5.jpg")
        try image("many_texts", width: 400, height: 300, bytes: jpeg(6, 400, 300))
        try image("original", width: 400, height: 300, bytes: jpeg(7, 400, 300))
        try image("near_copy", width: 360, height: 270, bytes: TestImages.photo(width: 400, height: 300, seed: 7).resized(.stretch(width: 360, height: 270)).encoded(.jpeg(quality: 70)))
        // Two graphics whose luma is the same (so pHash cannot tell them apart) in other colours:
        // the colour signature keeps both.
        try image("graphic", width: 400, height: 300, bytes: Self.graphic(background: RGB(200, 50, 50), square: RGB(40, 60, 220)).encoded(.png))
        try image("graphic_recoloured", width: 400, height: 300, bytes: Self.graphic(background: RGB(95, 95, 95), square: RGB(66, 66, 66)).encoded(.png))
        try image("eval_copy", width: 400, height: 300, bytes: jpeg(8, 400, 300))
        try Data(try jpeg(8, 400, 300)).write(to: URL(fileURLWithPath: mirror + "/eval/eval-1.jpg"))
        // Page text: two sentences with blocklisted terms condemn page 2's images; one mention on
        // page 3 does not (page_min_sentences = 2).
        try db.execute("""
            INSERT INTO pages (id, source_id, codec, offset, length, url, title, refs, sentences) VALUES (3, 1, 'none', 0, 0, 'http://example.test/c.html', 'A third page', 0, 0);
            INSERT INTO sentences (page_id, seq, block, text) VALUES (2, 0, 0, 'Watch free porn videos here.'),
                (2, 1, 0, 'The best XXX clips of the week.'), (2, 2, 0, 'A harmless sentence.'),
                (3, 0, 0, 'An article about the porn industry and the law.'), (3, 1, 0, 'Nothing else of note.');
            """)
        try image("porn_page", width: 400, height: 300, bytes: jpeg(9, 400, 300), page: 2)
        try image("one_mention", width: 400, height: 300, bytes: jpeg(10, 400, 300), page: 3)
        for k in 0..<6 { try image("plain\(k)", width: 400, height: 300, bytes: jpeg(20 + UInt64(k) * 13, 400, 300)) }
        // Every gram of a kept text is seen at least twice (min_count 2), no text is on more than
        // two images (max_images 2), no image has more than two distinct texts (max_texts 2),
        // except where a sample wants exactly that.
        try pair("p_small", image: "small", good + " variant 0")
        for k in 0..<3 { try pair("many\(k)", image: "many_texts", good + " variant \(k)") }
        for k in 0..<3 { try pair("shared\(k)", image: "plain\(k)", "the same caption on three images") }
        try pair("rare", image: "plain1", "a red bicycle leaning against a stone wal")
        try pair("short", image: "plain2", "red bicycle")
        try pair("long", image: "plain3", Array(repeating: "word", count: 25).joined(separator: " "))
        try pair("boilerplate", image: "plain4", "click here to enlarge the picture")
        try pair("boilerplate2", image: "plain5", "click here to enlarge the picture")
        try pair("kept0", image: "plain0", good)
        try pair("kept1", image: "plain3", good)
        return made
    }

    /// A flat background with a square left of centre, 400×300.
    static func graphic(background: RGB, square: RGB) -> RGBImage {
        var pixels = RGBImage(width: 400, height: 300, fill: background).pixels
        for y in 80..<200 {
            for x in 60..<180 { pixels.replaceSubrange((y * 400 + x) * 3..<(y * 400 + x) * 3 + 3, with: [square.r, square.g, square.b]) }
        }
        return RGBImage(width: 400, height: 300, pixels: pixels)
    }

    static let overrides = ["image_too_many_texts.max_texts=2", "text_shared_by_many_images.max_images=2", "text_rare_token.min_count=2"]

    func run(_ made: Made, dryRun: Bool = false) throws -> FilterReport {
        var rules = try RuleSet.load(path: SampleCatalog.root + "/Sources/Filters/Rules/align.toml")
        for o in Self.overrides { try rules.override(o) }
        var options = FilterOptions(workDirectory: made.folder, rules: rules)
        options.evalPaths = [made.folder + "/mirror/eval"]
        options.dryRun = dryRun
        return try Filter(options: options, readImage: SampleCatalog.readImage).run()
    }

    func decisions(_ made: Made) throws -> [String: String] {
        var out: [String: String] = [:]
        try SQLiteDatabase(path: made.folder + "/catalog.sqlite").forEach("SELECT item, id, rule FROM filter_decisions") { row in
            out["\(row.text(0)!):\(row.integer(1))"] = row.text(2)
        }
        return out
    }

    @Test func everyReasonHasItsSample() throws {
        let made = try Self.makeCatalog()
        let report = try run(made)
        print(report.table)
        let d = try decisions(made)
        func image(_ label: String) -> String? { d["image:\(made.imageIDs[label]!)"] }
        func pair(_ label: String) -> String? { d["pair:\(made.pairIDs[label]!)"] }
        #expect(image("no_size") == "image_no_size")
        #expect(image("small") == "image_too_small")
        #expect(image("wide") == "image_aspect_ratio")
        #expect(image("corrupt") == "image_undecodable")
        #expect(image("porn") == "porn_text_proxy")
        #expect(image("porn_page") == "porn_text_proxy" && image("one_mention") == nil)
        #expect(image("many_texts") == "image_too_many_texts")
        #expect(image("original") == nil && image("near_copy") == "image_near_duplicate")
        #expect(image("eval_copy") == "eval_near_duplicate")
        let graphics = try ["graphic", "graphic_recoloured"].map { try Filter.features(Self.graphic(background: $0 == "graphic" ? RGB(200, 50, 50) : RGB(95, 95, 95),
                                                                                                          square: $0 == "graphic" ? RGB(40, 60, 220) : RGB(66, 66, 66)).encoded(.png)) }
        #expect(ImageHash.hammingDistance(graphics[0].phash, graphics[1].phash) <= 6, "the two graphics share a pHash neighbourhood")
        #expect(ImageHash.colorDistance(graphics[0].signature, graphics[1].signature) > 8)
        #expect(image("graphic") == nil && image("graphic_recoloured") == nil, "different colours are not near-duplicates")
        // A pair takes its image's reason.
        #expect(pair("p_small") == "image_too_small" && pair("many0") == "image_too_many_texts")
        #expect((0..<3).allSatisfy { pair("shared\($0)") == "text_shared_by_many_images" })
        #expect(pair("rare") == "text_rare_token")
        #expect(pair("short") == "text_too_short")
        #expect(pair("long") == "text_too_long")
        #expect(pair("boilerplate") == "text_boilerplate")
        #expect(pair("boilerplate2") == "text_boilerplate")
        #expect(pair("kept0") == nil && pair("kept1") == nil)
        #expect(report.keptPairs == 2 && report.keptImages == 10)  // the six plain images, original, one_mention and the two graphics
        #expect(report.decontaminated == 1)
        let listed = try String(contentsOfFile: made.folder + "/decontamination.jsonl", encoding: .utf8)
        #expect(listed.contains("eval-1.jpg") && listed.split(separator: "\n").count == 1)
    }

    @Test func runsAgainWithOtherRulesAndDryRunsWriteNothing() throws {
        let made = try Self.makeCatalog()
        _ = try run(made)
        let first = try decisions(made)
        _ = try run(made)
        #expect(try decisions(made) == first, "a second run with the same rules decides the same")
        // Another rule set replaces the decisions: inclusive bounds keep a 200-px image? Here: switch
        // the size rule off and the small image's decision goes.
        var rules = try RuleSet.load(path: SampleCatalog.root + "/Sources/Filters/Rules/align.toml")
        for o in Self.overrides + ["image_too_small.enabled=false"] { try rules.override(o) }
        _ = try Filter(options: FilterOptions(workDirectory: made.folder, rules: rules), readImage: SampleCatalog.readImage).run()
        #expect(try decisions(made)["image:\(made.imageIDs["small"]!)"] == nil)
        let before = try decisions(made)
        let dry = try run(made, dryRun: true)
        #expect(dry.row("image_too_small")!.droppedImages == 1)
        #expect(try decisions(made) == before, "a dry run writes no decisions")
    }

    @Test func explainSaysWhatHappenedAndWhy() throws {
        let made = try Self.makeCatalog()
        _ = try run(made)
        let text = try FilterExplain.explain(workDirectory: made.folder, target: "image:\(made.imageIDs["small"]!)")
        #expect(text.contains("decision: dropped by image_too_small: shorter side 150 px, not above 200"))
        #expect(text.contains("decision: dropped by image_too_small: image"))
        let byURL = try FilterExplain.explain(workDirectory: made.folder, target: "http://example.test/img/plain2.jpg")
        #expect(byURL.contains("pair \(made.pairIDs["short"]!): alt \"red bicycle\"") && byURL.contains("dropped by text_too_short: 2 words, fewer than 3"))
        #expect(try FilterExplain.explain(workDirectory: made.folder, target: "pair:\(made.pairIDs["kept0"]!)").contains("decision: kept"))
        #expect(throws: FilterError.self) { try FilterExplain.explain(workDirectory: made.folder, target: "http://nowhere.test/x.jpg") }
    }
}
