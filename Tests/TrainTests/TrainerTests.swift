import Foundation
import Testing
import CurateCore
import Imaging
import Shards
@testable import Train

/// The training loop on small hand-made shards: deterministic data, exact resume, recall.
@Suite struct TrainerTests {
    /// Shards of `count` image samples (solid colours, captions naming them), 6 text pairs and 8
    /// val samples.
    static func shards() throws -> String {
        let folder = ShardDataTests.folder()
        let colours: [(String, RGB)] = [("red", RGB(255, 0, 0)), ("green", RGB(0, 200, 0)), ("blue", RGB(0, 0, 255)), ("yellow", RGB(250, 250, 0))]
        func image(_ i: Int) throws -> [UInt8] { try RGBImage(width: 20 + i % 5, height: 18, fill: colours[i % 4].1).encoded(.png) }
        let train = try ShardWriter(folder: folder, prefix: "train", maxSamples: 7, maxBytes: 1 << 20)
        for i in 0..<20 {
            let json = i % 3 == 0 ? "{\"tags\":[\"x\"]}" : "{}"
            try train.add(Sample(key: String(format: "t%09d", i), members: [("jpg", try image(i)), ("txt", Array("a \(colours[i % 4].0) square".utf8)), ("json", Array(json.utf8))]))
        }
        try train.finish()
        let pairs = try ShardWriter(folder: folder, prefix: "textpairs", maxSamples: 100, maxBytes: 1 << 20)
        for i in 0..<6 { try pairs.add(Sample(key: String(format: "p%09d", i), members: [("txt", Array("sentence \(i)".utf8)), ("next.txt", Array("then \(i)".utf8))])) }
        try pairs.finish()
        let val = try ShardWriter(folder: folder, prefix: "val", maxSamples: 100, maxBytes: 1 << 20)
        for i in 0..<8 { try val.add(Sample(key: String(format: "v%09d", i), members: [("jpg", try image(i + 1)), ("txt", Array("a \(colours[(i + 1) % 4].0) square".utf8))])) }
        try val.finish()
        return folder
    }

    static func options(_ shards: String) -> TrainOptions {
        var options = TrainOptions(shards: shards, out: ShardDataTests.folder())
        options.modelSettings = ["width=16", "depth=1", "heads=2", "image-size=32", "patch=16", "embedding=8"]
        options.steps = 12
        options.batch = 4
        options.warmup = 2
        options.checkpointEvery = 4
        options.evalEvery = 6
        options.shuffleBuffer = 5
        return options
    }

    @Test func aStreamAdvancedToAPositionContinuesAsTheOriginal() throws {
        let set = try ShardSet(folder: try Self.shards())
        let original = DataStream(shards: set.train, seed: 3, bufferSize: 5)
        let keys = (0..<50).map { _ in original.next()!.key }
        #expect(Set(keys.prefix(20)).count == 20)  // the first epoch hands out every sample once
        #expect(original.epoch == 2)
        let resumed = DataStream(shards: set.train, seed: 3, bufferSize: 5)
        resumed.advance(by: 23)
        #expect((23..<50).map { _ in resumed.next()!.key } == Array(keys[23...]))
    }

    /// 12 steps at once, and 4 + 8 with a new Trainer resuming from the step-4 checkpoint (as
    /// after a kill): the same parameters to the bit, the same metrics lines.
    /// With and without random grayscale: its draws come from the seed and the data position,
    /// so they replay exactly too.
    @Test(arguments: [0.0, 0.5]) func resumingContinuesExactly(grayscale: Double) throws {
        let shards = try Self.shards()
        var whole = Self.options(shards)
        whole.grayscale = grayscale
        let straight = try Trainer(options: whole, resume: false)
        straight.log = { _ in }
        try straight.run()

        whole.out = ShardDataTests.folder()
        let first = try Trainer(options: whole, resume: false)
        first.log = { _ in }
        try first.run(stopAfter: 6)  // a checkpoint at step 4; steps 5 and 6 are lost with the "kill"
        let second = try Trainer(options: whole, resume: true)
        second.log = { _ in }
        #expect(second.step == 4)
        try second.run()
        #expect(second.step == 12)
        let same = Array(second.model.parameters.buffer) == Array(straight.model.parameters.buffer)
        #expect(same, "the resumed run's parameters differ from the uninterrupted run's")
        let lines = { (folder: String) in try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map(String.init) }
        func withoutSpeed(_ line: String) -> String {
            line.replacingOccurrences(of: #""(pairs_per_s|step_seconds)":[0-9.e+-]+,"#, with: "", options: .regularExpression)
        }
        let sameLines = try lines(whole.out).map(withoutSpeed) == lines(straight.options.out).map(withoutSpeed)
        #expect(sameLines, "the resumed run's metrics differ")
        // The last --keep checkpoints are kept: steps 4, 8, 12.
        #expect(Trainer.checkpoints(in: whole.out).map { URL(fileURLWithPath: $0).lastPathComponent }
                == ["step-000000004.safetensors", "step-000000008.safetensors", "step-000000012.safetensors"])
        // A checkpoint loads as a model (the trainer's extra tensors are ignored).
        #expect(try Checkpoint.load(Trainer.checkpoints(in: whole.out).last!).model.config == straight.model.config)
    }

    /// Gray is BT.601's luma in all three planes; the draws are repeatable and near their share.
    @Test func grayscaleAugmentation() {
        var planes: [Float] = [1, -1, 0.5, 0.2, -1, 1, 0.1, 0.3, 0, 0, 1, -0.4]  // a 2×2 image: R, G, B planes
        ModelInput.toGray(&planes, size: 2)
        let luma: [Float] = [0.299 - 0.587, -0.299 + 0.587, 0.5 * 0.299 + 0.1 * 0.587 + 0.114, 0.2 * 0.299 + 0.3 * 0.587 - 0.4 * 0.114]
        for plane in 0..<3 {
            for i in 0..<4 { #expect(abs(planes[plane * 4 + i] - luma[i]) < 1e-6) }
        }
        let draws = (0..<10_000).map { Trainer.drawsGray(seed: 3, position: $0, probability: 0.3) }
        #expect(draws == (0..<10_000).map { Trainer.drawsGray(seed: 3, position: $0, probability: 0.3) })
        let share = Double(draws.filter { $0 }.count) / 10_000
        #expect(abs(share - 0.3) < 0.02, "share \(share)")  // binomial σ = 0.0046
        #expect(draws != (0..<10_000).map { Trainer.drawsGray(seed: 4, position: $0, probability: 0.3) })
    }

    /// Hard-negative groups: each anchor (the first not yet taken) with the captions that share
    /// the most of its uncommon words; words in a quarter of the pool or more do not count.
    @Test func hardNegativeGroups() {
        let captions = ["the photo shows a pink circle", "the photo shows a blue square", "the photo shows two green stars",
                        "the photo shows a pink square", "the photo shows a blue circle", "the photo shows green stars here",
                        "the photo shows red", "the photo shows black"]
            + ["zebra", "yak", "walrus", "vole", "urchin", "tapir", "seal", "rhea"]  // words of their own: shared with none
        let pool = captions.enumerated().map { Trainer.Candidate(jpg: [], caption: $1, render: nil, weak: false, position: $0) }
        let order = Trainer.grouped(pool, size: 2).map(\.position)
        // "pink circle" meets "pink square" (pink) before "blue circle" (circle): ties go to the earlier.
        #expect(order == [0, 3, 1, 4, 2, 5] + Array(6..<16), "\(order)")
        #expect(Trainer.grouped(pool, size: 1).map(\.position) == Array(0..<16))
        #expect(Set(Trainer.grouped(pool, size: 3).map(\.position)) == Set(0..<16), "every sample once")
    }

    @Test func recallCountsRanks() {
        // Three items in 2-D. Image 2's own text scores 0.96 but text 1 scores 1.0 (rank 2); text 1's
        // own image scores 0.8 but image 2 scores 1.0. Everything else ranks first.
        let images: [Float] = [1, 0, 0, 1, 0.6, 0.8], texts: [Float] = [1, 0, 0.6, 0.8, 0.8, 0.6]
        let recall = Trainer.recall(images: images, texts: texts, count: 3, d: 2)
        #expect(recall.imageToText == [2.0 / 3, 1, 1] && recall.textToImage == [2.0 / 3, 1, 1])
        #expect(recall.textToImageChance == [1.0 / 3, 1, 1] && recall.imageToTextChance == [1.0 / 3, 1, 1] && recall.images == 3)
    }

    @Test func recallCountsAnImageWithSeveralCaptionsOnce() {
        // Pairs 0 and 1 show image A = (1, 0), pair 2 image B = (0, 1). Caption 0 scores 0.6 with A
        // and 0.8 with B (rank 2 of 2 images); A's best caption (1) and B's rank first.
        let images: [Float] = [1, 0, 1, 0, 0, 1], texts: [Float] = [0.6, 0.8, 1, 0, 0, 1]
        let recall = Trainer.recall(images: images, texts: texts, count: 3, d: 2, groups: [7, 7, 9])
        #expect(recall.images == 2 && recall.count == 3)
        #expect(recall.textToImage == [2.0 / 3, 1, 1] && recall.imageToText == [1, 1, 1])
        #expect(recall.textToImageChance == [0.5, 1, 1])
        // A has 2 of 3 captions: at k = 1 chance 2/3; B 1/3; the mean 1/2.
        #expect(abs(recall.imageToTextChance[0] - 0.5) < 1e-12 && recall.imageToTextChance[1] == 1)
        // Counted per pair, caption 1 would have beaten A's caption 0: image→text R@1 2/3.
        #expect(Trainer.recall(images: images, texts: texts, count: 3, d: 2).imageToText[0] == 2.0 / 3)
    }

    @Test func badInputsAreOneLineErrors() throws {
        // Unknown --optimizer, --schedule and --fit are refused by curate train's validate()
        // (TrainCommandTests); the options here are typed.
        #expect(throws: ShardDataError.self) { try Trainer(options: TrainOptions(shards: "/nonexistent", out: ShardDataTests.folder()), resume: false) }
    }
}

@Suite struct WeakWeightTests {
    /// Train shards of `count` samples, those at even indices weak pairs.
    static func shards(count: Int, weakEvery: Int) throws -> String {
        let folder = ShardDataTests.folder()
        let train = try ShardWriter(folder: folder, prefix: "train", maxSamples: 100, maxBytes: 1 << 20)
        for i in 0..<count {
            let source = i % weakEvery == 0 ? "weak" : "alt"
            let json = "{\"key\":\"t\(i)\",\"page_url\":\"http://p/\",\"image_url\":\"http://p/\(i).png\",\"image_sha256\":\"\(i)\",\"width\":20,\"height\":18,\"text_source\":\"\(source)\"}"
            try train.add(Sample(key: String(format: "t%09d", i), members: [("jpg", try RGBImage(width: 20, height: 18, fill: RGB(200, 10, 10)).encoded(.png)),
                                                                          ("txt", Array("a red square \(i)".utf8)), ("json", Array(json.utf8))]))
        }
        try train.finish()
        return folder
    }

    /// At weight 0 weak pairs are passed over, not trained on at weight 0; shards of weak pairs
    /// alone are a one-line error, not a loop that never fills a batch.
    @Test func weightZeroPassesWeakPairsOver() throws {
        var options = TrainerTests.options(try Self.shards(count: 12, weakEvery: 2))
        options.weakWeight = 0
        options.steps = 3
        let trainer = try Trainer(options: options, resume: false)
        trainer.log = { _ in }
        for _ in 0..<3 { #expect(try trainer.nextBatch().weak == 0) }
        #expect(trainer.weakPassedOver >= 6, "\(trainer.weakPassedOver) weak pairs passed over")
        var allWeak = TrainerTests.options(try Self.shards(count: 6, weakEvery: 1))
        allWeak.weakWeight = 0
        let stuck = try Trainer(options: allWeak, resume: false)
        do {
            _ = try stuck.nextBatch()
            Issue.record("a batch of weak pairs at weight 0")
        } catch {
            #expect("\(error)".contains("hold only weak pairs and --weak-weight is 0"), "\(error)")
        }
        allWeak.weakWeight = 0.5
        #expect(try Trainer(options: allWeak, resume: false).nextBatch().weak == allWeak.batch)
    }
}

@Suite struct TrainerInputsTests {
    /// A sample whose image does not decode and one without a caption are counted and skipped;
    /// training goes on.
    @Test func badSamplesAreCountedAndSkipped() throws {
        let folder = try TrainerTests.shards()
        let extra = try ShardWriter(folder: folder, prefix: "train-bad", maxSamples: 100, maxBytes: 1 << 20)
        try extra.add(Sample(key: "b000000000", members: [("jpg", Array("not an image".utf8)), ("txt", Array("a caption".utf8))]))
        try extra.add(Sample(key: "b000000001", members: [("jpg", try RGBImage(width: 20, height: 20).encoded(.png))]))
        try extra.finish()
        // `train-bad-*.tar` also matches train-*.tar: the bad samples come first in name order.
        var options = TrainerTests.options(folder)
        options.steps = 8
        let trainer = try Trainer(options: options, resume: false)
        trainer.log = { _ in }
        try trainer.run()
        #expect(trainer.step == 8)
        #expect(trainer.skipped.dropped[.imageUndecodable] ?? 0 >= 1)
        #expect(trainer.skipped.dropped[.sampleIncomplete] ?? 0 >= 1)
        // The plot was written beside the metrics.
        let plot = try ImageDecoder.decode([UInt8](FileManager.default.contents(atPath: options.out + "/metrics.png")!))
        #expect(plot.width == 960 && plot.height == 300)
    }

    @Test func embeddingsAndSearch() throws {
        var options = TrainerTests.options(try TrainerTests.shards())
        options.steps = 4
        let trainer = try Trainer(options: options, resume: false)
        trainer.log = { _ in }
        try trainer.run()
        let embedder = try Embedder(checkpoint: Trainer.checkpoints(in: options.out).last!)
        let texts = embedder.embed(texts: ["a red square", "a blue square", ""])
        #expect(texts.count == 3 && texts.allSatisfy { abs($0.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4 })
        let hits = try embedder.search("a red square", shards: ShardSet(folder: options.shards), top: 5)
        #expect(hits.count == 5 && zip(hits, hits.dropFirst()).allSatisfy { $0.score >= $1.score })
        #expect(hits.allSatisfy { $0.key.hasPrefix("v") && $0.caption.hasSuffix("square") })
    }
}
