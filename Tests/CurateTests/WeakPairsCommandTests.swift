import Catalog
import Foundation
import Testing
import TestSupport

/// `curate weak-pairs` end to end on the sample crawl: crawl-dump, filter, weak-pairs.
@Suite(.serialized) struct WeakPairsCommandTests {
    @Test func pairsUnpairedImagesWithSentencesAndExplainsMistakes() throws {
        let work = NSTemporaryDirectory() + "curate-weak-cli-\(getpid())"
        try? FileManager.default.removeItem(atPath: work)
        defer { try? FileManager.default.removeItem(atPath: work) }
        #expect(try Curate.run(["crawl-dump", "samples/crawl.warc.gz", "--work", work]).status == 0)
        let early = try Curate.run(["weak-pairs", "--work", work])
        #expect(early.status == 1 && early.stderr.contains("run curate filter first"), "\(early.stderr)")
        #expect(try Curate.run(["filter", "--work", work, "--eval-images", "samples/eval"]).status == 0)
        let result = try Curate.run(["weak-pairs", "--work", work, "--detections", "samples/detections.jsonl"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("weak pairs for 36 images: tags from the detector 33, from context 3"), "\(result.stdout)")
        let db = try SQLiteDatabase(path: work + "/catalog.sqlite")
        let rows = try db.query("SELECT image_id, rank, tag_source, tags, score FROM weak_pairs ORDER BY image_id, rank")
        #expect(rows.count >= 150)
        // Ranks run 1... per image, best first; no image with a kept alt text got weak pairs.
        let withAlt = try db.query("""
            SELECT count(*) FROM weak_pairs w WHERE EXISTS (SELECT 1 FROM kept_pairs p WHERE p.image_id = w.image_id AND p.text_source = 'alt')
            """)
        #expect(withAlt[0][0] == .integer(0))
        // A corpus file instead of the pages' sentences, and the options.
        let corpus = work + "/corpus.txt"
        try "A red star on a white wall.\nTwo blue circles and a green square.\nNothing to see here.\n".write(toFile: corpus, atomically: true, encoding: .utf8)
        let fromFile = try Curate.run(["weak-pairs", "--work", work, "--detections", "samples/detections.jsonl", "--corpus", corpus,
                                       "--all-images", "-k", "2", "--require-tag-word"])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        let texts = try db.query("SELECT DISTINCT text FROM weak_pairs").map { "\($0[0])" }
        #expect(!texts.isEmpty && texts.allSatisfy { !$0.contains("Nothing to see") })
        #expect(try db.query("SELECT max(rank) FROM weak_pairs")[0][0] == .integer(2))
        let missing = try Curate.run(["weak-pairs", "--work", work, "--detections", "/nonexistent.jsonl"])
        #expect(missing.status == 1 && missing.stderr.contains("cannot read the detections file") && missing.stderr.split(separator: "\n").count == 1)
    }

    /// Killed before and after its commit and at a random moment, and re-run: the same weak pairs as an uninterrupted run.
    @Test func killedRunsFinishWithTheSameWeakPairs() throws {
        var works: [String] = []
        for name in ["clean", "killed"] {
            let work = NSTemporaryDirectory() + "curate-weak-\(name)-\(getpid())"
            try? FileManager.default.removeItem(atPath: work)
            #expect(try Curate.run(["crawl-dump", "samples/crawl.warc.gz", "--work", work]).status == 0)
            #expect(try Curate.run(["filter", "--work", work]).status == 0)
            works.append(work)
        }
        defer { for w in works { try? FileManager.default.removeItem(atPath: w) } }
        let args = ["weak-pairs", "--detections", "samples/detections.jsonl", "--all-images"]
        let (result, points) = try Curate.countingFaultPoints(args + ["--work", works[0]])
        #expect(result.status == 0 && points >= 2, "\(points) fault points")
        // Just before and just after its commit.
        #expect(try Curate.killAtFaultPoints(args + ["--work", works[1]], [points - 1, points]) == 2)
        try Curate.killRepeatedly(args + ["--work", works[1]], times: 1, delay: 5_000...150_000)
        #expect(try Curate.run(args + ["--work", works[1]]).status == 0)
        func pairs(_ work: String) throws -> [String] {
            try SQLiteDatabase(path: work + "/catalog.sqlite").query("SELECT image_id, rank, sentence_id, score, tags FROM weak_pairs ORDER BY 1, 2").map { "\($0)" }
        }
        #expect(try pairs(works[1]) == pairs(works[0]) && !pairs(works[0]).isEmpty)
    }
}
