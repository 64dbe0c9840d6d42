import CurateCore
import Foundation
import Testing
import TestSupport

/// `curate train`, `search` and `embed` end to end on the sample crawl's shards, with a tiny
/// model; and a training run killed at random moments and resumed ends with the same parameters
/// as one that ran straight through.
@Suite(.serialized) struct TrainCommandTests {
    static let model = ["--set", "width=32", "--set", "depth=1", "--set", "heads=2", "--set", "image-size=32", "--set", "patch=16",
                        "--set", "embedding=16", "--batch", "8", "--steps", "12", "--checkpoint-every", "3", "--eval-every", "6"]

    /// The tensors' bytes of a safetensors file (everything after the header, which holds the metadata).
    static func tensorBytes(_ path: String) -> Data {
        let data = FileManager.default.contents(atPath: path)!
        let length = data.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
        return data.dropFirst(8 + length)
    }

    @Test func trainsSearchesEmbedsAndResumes() throws {
        let work = try BuildShardsCommandTests.filtered("train")
        defer { try? FileManager.default.removeItem(atPath: work) }
        #expect(try Curate.run(BuildShardsCommandTests.args + ["--work", work]).status == 0)
        let shards = work + "/shards", straight = work + "/straight", killed = work + "/killed"

        let result = try Curate.run(["train", "--shards", shards, "--out", straight] + Self.model)
        #expect(result.status == 0, "\(result.stderr)")
        // The sample's 50 val pairs show 16 images (weak pairs repeat an image): text→image chance 1/16.
        #expect(result.stdout.contains("step 12: val recall over 50 pairs of 16 images") && result.stdout.contains("(chance R@1 0.062 R@5 0.312 R@10 0.625)"), "\(result.stdout)")
        let files = try FileManager.default.contentsOfDirectory(atPath: straight).sorted()
        #expect(files == [".curate.lock", "metrics.jsonl", "metrics.png", "step-000000006.safetensors", "step-000000009.safetensors", "step-000000012.safetensors"])
        let metrics = try String(contentsOfFile: straight + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(metrics.count == 14)  // 12 steps and 2 evaluations
        // A second fresh run into the same folder is refused; --resume of a finished run does nothing more.
        let again = try Curate.run(["train", "--shards", shards, "--out", straight] + Self.model)
        #expect(again.status == 1 && again.stderr.contains("--resume"))

        // Killed at its 2nd fault point (the first step), then in the middle and late (each run
        // resumes from its last checkpoint), then at a random moment: the same parameters.
        let resumed = ["train", "--shards", shards, "--out", killed, "--resume"] + Self.model
        #expect(try Curate.killAtFaultPoints(resumed, [2, 9, 9]) == 3)
        try Curate.killRepeatedly(resumed, times: 1, delay: 300_000...2_500_000)
        let finished = try Curate.run(["train", "--shards", shards, "--out", killed, "--resume"] + Self.model)
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(Self.tensorBytes(killed + "/step-000000012.safetensors") == Self.tensorBytes(straight + "/step-000000012.safetensors"),
                "a killed and resumed run ends with the uninterrupted run's parameters and optimizer state")

        let checkpoint = straight + "/step-000000012.safetensors"
        let search = try Curate.run(["search", "--checkpoint", checkpoint, "--shards", shards, "-k", "3", "a red circle"])
        #expect(search.status == 0 && search.lines.count == 3 && search.lines[0].hasPrefix(" 1  "), "\(search.stdout)\(search.stderr)")
        // Each image once: the val split's weak pairs repeat an image under several keys.
        var imageOf: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: shards) where name.hasPrefix("val-") && name.hasSuffix(".tar") {
            let reader = try TarReader(path: shards + "/" + name)
            while let member = try reader.next() {
                guard member.name.hasSuffix(".json") else { continue }
                let json = try JSONSerialization.jsonObject(with: Data(member.bytes)) as! [String: Any]
                imageOf[json["key"] as! String] = json["image_sha256"] as? String
            }
        }
        let all = try Curate.run(["search", "--checkpoint", checkpoint, "--shards", shards, "-k", "1000", "a red circle"])
        let shown = all.lines.map { imageOf[String($0.split(separator: " ", omittingEmptySubsequences: true)[2])]! }
        #expect(Set(imageOf.values).count < imageOf.count, "the sample's val split repeats images")
        #expect(shown.count == Set(imageOf.values).count && Set(shown).count == shown.count, "every val image once")
        let embed = try Curate.run(["embed", "--checkpoint", checkpoint, "--texts", "-"], input: Data("a red circle\ntwo blue squares\n".utf8))
        #expect(embed.status == 0 && embed.lines.count == 2)
        let line = try JSONSerialization.jsonObject(with: Data(embed.lines[0].utf8)) as! [String: Any]
        #expect((line["embedding"] as! [Double]).count == 16 && line["input"] as? String == "a red circle")
        let images = try Curate.run(["embed", "--checkpoint", checkpoint, "--images", "samples/images/scene.jpg", "samples/images/truncated.jpg"])
        #expect(images.status == 0 && images.stderr.contains("skipped"))
        let missing = try Curate.run(["search", "--checkpoint", work + "/nothing.safetensors", "x"])
        #expect(missing.status == 1 && missing.stderr.split(separator: "\n").count == 1)
    }
}
