import Catalog
import CurateCore
import Foundation
import Testing
@testable import Shards

@Suite struct BuildShardsTests {
    /// A catalog with `images` images of `texts` kept pairs each (no filter decisions), whose
    /// image bytes come from the reader the test passes.
    static func catalog(images: Int, texts: Int) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("curate-bs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let store = try CatalogStore(path: folder + "/catalog.sqlite", create: true)
        let db = store.db
        try db.execute("""
            INSERT INTO sources (id, path, kind, sha256, bytes, status) VALUES (1, '/nowhere', 'mirror', 'made', 0, 'done');
            INSERT INTO pages (id, source_id, codec, offset, length, url, refs, sentences) VALUES (1, 1, 'none', 0, 0, 'http://x.test/p.html', 0, 0);
            """)
        try store.recordRun(FilterRun.self, options: FilterRun.Options(rules: "# none", evalImages: []),
                            summary: FilterRun.Summary(images: images, pairs: images * texts, rules: [], decontaminated: 0, missingReferences: 0, seconds: 0),
                            started: Date())
        var pair = 1
        for i in 1...images {
            try db.query("INSERT INTO images (id, sha256, format, width, height, bytes, source_id, path, codec, offset, length, url) VALUES (?, ?, 'jpeg', 640, 480, 0, 1, ?, 'none', 0, 0, ?)",
                         [.integer(Int64(i)), .text(String(format: "%064x", i * 7919)), .text("\(i).jpg"), .text("http://x.test/\(i).jpg")])
            try db.query("INSERT INTO refs (page_id, position, chosen_by, alt_state, status, image_id) VALUES (1, 0, 'src', 'present', 'resolved', ?)", [.integer(Int64(i))])
            for t in 0..<texts {
                try db.query("INSERT INTO pairs VALUES (?, ?, 1, 1, ?, 'alt')", [.integer(Int64(pair)), .integer(Int64(i)), .text("image \(i) text \(t)")])
                pair += 1
            }
        }
        return folder
    }

    struct Broken: ReasonedError { var reason: DropReason { .truncated }; var description: String { "cut short" } }

    static let jpeg: [UInt8] = try! {
        var pixels = [UInt8](repeating: 0, count: 64 * 48 * 3)
        for i in pixels.indices { pixels[i] = UInt8(i % 251) }
        return try Imaging.RGBImage(width: 64, height: 48, pixels: pixels).encoded(.jpeg(quality: 90))
    }()

    @Test func anImageThatDoesNotDecodeIsSkippedAndCounted() throws {
        let folder = try Self.catalog(images: 30, texts: 2)
        var options = BuildShardsOptions(workDirectory: folder, outDirectory: folder + "/shards")
        options.shardSamples = 7
        let summary = try BuildShards(options: options, read: { location in
            if location.mirrorPath == "3.jpg" { throw Broken() }
            if location.mirrorPath == "4.jpg" { return [1, 2, 3] }
            return Self.jpeg
        }).run()
        #expect(summary.skipped == ["truncated": 2, "unknown_format": 2], "\(summary.skipped)")
        #expect(summary.train + summary.val == 56)
    }

    /// Other inputs (here another seed) start the folder afresh instead of resuming old shards.
    @Test func otherInputsDoNotResumeOldShards() throws {
        let folder = try Self.catalog(images: 20, texts: 2)
        var options = BuildShardsOptions(workDirectory: folder, outDirectory: folder + "/shards")
        options.shardSamples = 5
        _ = try BuildShards(options: options, read: { _ in Self.jpeg }).run()
        let first = try FileManager.default.contentsOfDirectory(atPath: folder + "/shards").sorted()
        let firstTrain = FileManager.default.contents(atPath: folder + "/shards/train-000000.tar")
        options.seed = 9
        options.shardSamples = 8
        _ = try BuildShards(options: options, read: { _ in Self.jpeg }).run()
        let second = try FileManager.default.contentsOfDirectory(atPath: folder + "/shards").sorted()
        #expect(second != first && FileManager.default.contents(atPath: folder + "/shards/train-000000.tar") != firstTrain)
        let sizes = try JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: folder + "/shards/sizes.json")!) as! [String: Int]
        #expect(Set(sizes.keys) == Set(second.filter { $0.hasSuffix(".tar") }))
    }

    /// Whole images go to validation: at least a fifth of small data (here 300 would be all of it),
    /// never an image in both splits; and a different seed gives a different split.
    @Test func theValidationSplitTakesWholeImages() throws {
        let folder = try Self.catalog(images: 50, texts: 3)
        let options = BuildShardsOptions(workDirectory: folder, outDirectory: folder + "/shards")
        let builder = try BuildShards(options: options, read: { _ in Self.jpeg })
        let (train, val) = builder.split(try builder.pendingSamples())
        #expect(train.count + val.count == 150 && val.count >= 30 && val.count <= 33)
        #expect(Set(train.map(\.imageSHA)).isDisjoint(with: Set(val.map(\.imageSHA))))
        var other = options
        other.seed = 1
        let (_, val1) = try BuildShards(options: other, read: { _ in Self.jpeg }).split(try builder.pendingSamples())
        #expect(Set(val1.map(\.imageSHA)) != Set(val.map(\.imageSHA)))
    }
}

import Imaging
