// curate train: the CLIPPO training loop on the shards. Each step takes `batch` pairs — image
// samples (their image and rendered caption) and, at `textPairsFraction`, text/text pairs (two
// consecutive sentences, both rendered) — through the one tower, the contrastive loss (weak
// µ-VLA pairs weighted by `weakWeight`), clipping at global norm 1 and the optimizer. Batches are
// prepared on a background thread while the model runs. Every `checkpointEvery` steps the model,
// the optimizer state, the step, the generators and the data positions go to a checkpoint, so a
// resumed run continues exactly; every `evalEvery` steps and at the end, retrieval recall on the
// val shards. Each step and evaluation is a line of metrics.jsonl.
import Foundation
import CurateCore
import Kernels
import Render

/// The optimizers `curate train --optimizer` names.
public enum OptimizerName: String, Codable, Sendable, CaseIterable {
    /// big_vision's Adafactor, CLIPPO's.
    case adafactor
    case adamw
}

/// The learning-rate schedules `curate train --schedule` names.
public enum ScheduleName: String, Codable, Sendable, CaseIterable {
    /// Linear warm-up, then cosine decay to 0.
    case cosine
    /// big_vision's reciprocal square root, with a linear cool-down.
    case rsqrt
}

public struct TrainOptions: Codable, Sendable, Equatable {
    public var shards: String
    public var out: String
    public var model = "mu"
    public var modelSettings: [String] = []
    public var steps = 300
    public var batch = 32
    public var optimizer = OptimizerName.adafactor
    public var learningRate: Float = 1e-3
    public var weightDecay: Float = 1e-4
    /// Groups of this many captions sharing words in each batch (hard negatives); 0 or 1: none.
    public var hardNegatives = 0
    /// The share of train images shown in gray (SimCLR's random grayscale): on those only shape
    /// and brightness tell the caption's objects apart, so colour alone cannot win the batch.
    public var grayscale: Double = 0
    /// AdamW's second-moment decay (PyTorch's default 0.999; CLIP and open_clip train ViTs with 0.98).
    public var adamBeta2: Float = 0.999
    public var schedule = ScheduleName.cosine
    public var warmup = 20
    /// Text/text pairs per batch, as a fraction; nil: 0.25 when text-pair shards exist (CLIPPO's recommendation).
    public var textPairsFraction: Double?
    /// The loss weight of weak (µ-VLA) pairs; alt-text pairs and text pairs weigh 1.
    public var weakWeight: Float = 0.5
    public var fit = ModelInput.Fit.resize
    /// Unifont's size when captions are rendered for the model; nil: CLIPPO's 16 for inputs of
    /// 224 pixels and more, 8 below (at 64 pixels, size 16 shows only ~28 characters of a caption).
    public var fontSize: Int?
    public var seed: UInt64 = 0
    public var checkpointEvery = 100
    public var keep = 3
    public var evalEvery = 100
    public var shuffleBuffer = 1000
    /// The linear layers' products: fp32, or bf16 operands with fp32 sums (fp32 master weights).
    public var precision = Precision.fp32

    public init(shards: String, out: String) { self.shards = shards; self.out = out }
}

public struct TrainError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

public final class Trainer {
    public let options: TrainOptions
    public let model: CLIPPO
    public let shardSet: ShardSet
    public private(set) var step = 0
    let adafactor: Adafactor?
    let adamW: AdamW?
    let images: DataStream
    let textPairs: DataStream?
    let renderer: TextRenderer
    let fit: ModelInput.Fit
    public private(set) var skipped = ReasonCounts()
    /// Seconds the model waited for the background batch preparation (the loader's cost in the step).
    public private(set) var loaderWait: Double = 0
    /// Captions of the batches trained on: taken from the shards' render.png, or rendered here
    /// (the shards were rendered at another size or font size than the model's).
    public private(set) var captionsFromShards = 0, captionsRendered = 0
    /// Weak pairs the loader passed over because `--weak-weight` is 0.
    public private(set) var weakPassedOver = 0
    /// Seconds of the whole loop, batches included.
    public private(set) var loopSeconds: Double = 0
    /// Steps this process ran (a resumed run starts counting at its checkpoint).
    public private(set) var stepsRun = 0
    /// The data positions of the last batch the model took.
    private var consumed = (images: 0, textPairs: 0)
    public var log: (String) -> Void = { print($0) }

    var textPairsPerBatch: Int {
        guard textPairs != nil else { return 0 }
        let fraction = options.textPairsFraction ?? 0.25
        return min(options.batch - 1, Int((Double(options.batch) * fraction).rounded()))
    }

    /// A new run, or the continuation of the newest checkpoint in `options.out` when `resume`.
    public init(options: TrainOptions, resume: Bool) throws {
        self.options = options
        // The CPU first: a run that cannot start says so before it reads or writes anything.
        if options.precision == .bf16 && !BLAS.bf16Supported {
            throw TrainError(message: "--precision bf16 needs a CPU with AVX512-BF16 (Intel Cooper Lake or Sapphire Rapids and later, AMD Zen 4 and later); this one (\(CPU.model)) has none: train with --precision fp32")
        }
        shardSet = try ShardSet(folder: options.shards)
        fit = options.fit
        try FileManager.default.createDirectory(atPath: options.out, withIntermediateDirectories: true)
        if !resume && !Self.checkpoints(in: options.out).isEmpty {
            throw TrainError(message: "\(options.out) already holds checkpoints of a run; pass --resume to continue it or choose another --out")
        }
        let latest = resume ? Self.checkpoints(in: options.out).last : nil
        if resume && latest == nil { log("no checkpoint in \(options.out): starting afresh") }
        var file: Safetensors.File?
        if let latest {
            let loaded = try Checkpoint.load(latest)
            model = loaded.model
            file = loaded.file
        } else {
            let config = try ViTConfig.named(options.model).overriding(options.modelSettings)
            model = CLIPPO(config: config, seed: options.seed)
        }
        model.precision = options.precision
        switch options.optimizer {
        case .adafactor: adafactor = Adafactor(table: model.table, weightDecay: options.weightDecay); adamW = nil
        case .adamw:
            adamW = AdamW(table: model.table, weightDecay: options.weightDecay)
            adamW!.beta2 = options.adamBeta2
            adafactor = nil
        }
        guard options.textPairsFraction.map({ (0..<1).contains($0) }) ?? true else {
            throw TrainError(message: "--text-pairs-fraction must be in [0, 1)")
        }
        images = DataStream(shards: shardSet.train, seed: options.seed &+ 1, bufferSize: options.shuffleBuffer)
        let wantText = (options.textPairsFraction ?? 0.25) > 0 && !shardSet.textPairs.isEmpty
        textPairs = wantText ? DataStream(shards: shardSet.textPairs, seed: options.seed &+ 2, bufferSize: options.shuffleBuffer) : nil
        var renderOptions = RenderOptions.clippo
        renderOptions.imageSize = model.config.imageSize
        renderOptions.fontSize = options.fontSize ?? (model.config.imageSize >= 224 ? 16 : 8)
        renderer = try TextRenderer(font: try Unifont.load(), options: renderOptions)
        if let file { try restore(file) }
    }

    /// The Unifont size captions are rendered at for this model.
    public var renderFontSize: Int { renderer.options.fontSize
    }

    static func checkpoints(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasPrefix("step-") && $0.hasSuffix(".safetensors") }.sorted().map { folder + "/" + $0 }
    }

    // MARK: Batches

    /// One batch's pixels (images then texts), its loss weights, and how many of it were weak pairs.
    struct Batch {
        var pixels: [Float]
        var weights: [Float]
        var weak: Int
        /// Captions whose stored render was used, and captions rendered for the batch.
        var stored = 0, rendered = 0
        /// The streams' positions after this batch: what a checkpoint taken after it records (the
        /// prefetcher reads ahead, so the streams themselves are further on).
        var imagesPosition = 0, textPairsPosition = 0
    }

    /// Whether the image handed out at `position` of the stream is shown in gray: a draw from the
    /// seed and the position alone, so a resumed run draws as the uninterrupted one did.
    static func drawsGray(seed: UInt64, position: Int, probability: Double) -> Bool {
        var rng = SeededRNG(seed: seed ^ 0x6772_6179).derived(UInt64(position))
        return rng.unit() < probability
    }

    /// An image sample drawn from the stream, not yet decoded.
    struct Candidate {
        var jpg: [UInt8], caption: String, render: [UInt8]?, weak: Bool
        /// The stream's position after it was drawn (the grayscale draw's key).
        var position: Int
    }

    /// The pool in groups of `size`: each group is the first sample not yet taken and the
    /// `size − 1` others whose captions share the most words with it (words of three letters or
    /// more, lower-cased, not in a quarter or more of the pool's captions), ties to the earlier.
    /// Captions that differ in one word then meet in one batch: hard negatives, so that no single
    /// trait (a colour) tells every caption of the batch apart.
    static func grouped(_ pool: [Candidate], size: Int) -> [Candidate] {
        let words = pool.map { candidate in
            Set(candidate.caption.lowercased().split { !$0.isLetter }.filter { $0.count >= 3 }.map(String.init))
        }
        var frequency: [String: Int] = [:]
        for set in words { for word in set { frequency[word, default: 0] += 1 } }
        let common = Set(frequency.filter { 4 * $0.value >= pool.count }.keys)
        let rare = words.map { $0.subtracting(common) }
        var taken = [Bool](repeating: false, count: pool.count), order: [Candidate] = []
        for anchor in pool.indices where !taken[anchor] {
            taken[anchor] = true
            order.append(pool[anchor])
            var scored: [(index: Int, shared: Int)] = []
            for other in pool.indices where !taken[other] {
                scored.append((other, rare[other].intersection(rare[anchor]).count))
            }
            scored.sort { (a: (index: Int, shared: Int), b: (index: Int, shared: Int)) -> Bool in
                a.shared != b.shared ? a.shared > b.shared : a.index < b.index
            }
            for pick in scored.prefix(size - 1) {
                taken[pick.index] = true
                order.append(pool[pick.index])
            }
        }
        return order
    }

    /// The next batch from the streams, skipping (and counting) samples that do not decode.
    func nextBatch() throws -> Batch {
        let pairs = options.batch, size = model.config.imageSize, plane = 3 * size * size
        var batch = Batch(pixels: [Float](repeating: 0, count: 2 * pairs * plane), weights: [Float](repeating: 1, count: pairs), weak: 0)
        let texts = textPairsPerBatch
        var stored = 0, rendered = 0
        func count(_ fromShards: Bool) { if fromShards { stored += 1 } else { rendered += 1 } }
        var lastUsefulEpoch = images.epoch
        /// The stream's next sample the model can train on (weak pairs passed over at weight 0).
        func nextCandidate() throws -> Candidate {
            while true {
                guard let sample = images.next() else { throw TrainError(message: "the train shards in \(options.shards) hold no readable sample") }
                guard let jpg = sample.members["jpg"], let txt = sample.members["txt"] else { skipped.drop(.sampleIncomplete); continue }
                let weak = SampleMetadata.decode(sample.members["json"])?.isWeak == true
                // A weight of 0 trains on no weak pair: they are passed over, not computed and ignored.
                if weak && options.weakWeight == 0 {
                    weakPassedOver += 1
                    if images.epoch >= lastUsefulEpoch + 2 {
                        throw TrainError(message: "the train shards in \(options.shards) hold only weak pairs and --weak-weight is 0; give weak pairs a weight above 0 or shard alt-text pairs")
                    }
                    continue
                }
                lastUsefulEpoch = images.epoch
                return Candidate(jpg: jpg, caption: String(decoding: txt, as: UTF8.self), render: sample.members["render.png"], weak: weak,
                                 position: images.position)
            }
        }
        // With --hard-negatives G, the batch is drawn from a pool twice its size, in groups of G
        // whose captions share the most words (the rest of the pool is not trained on).
        var queue: [Candidate] = []
        if options.hardNegatives > 1 {
            queue = Self.grouped(try (0..<(2 * (pairs - texts))).map { _ in try nextCandidate() }, size: options.hardNegatives)
            queue.reverse()
        }
        try batch.pixels.withUnsafeMutableBufferPointer { out in
            var filled = 0
            while filled < pairs - texts {
                let candidate = try queue.popLast() ?? nextCandidate()
                do { try ModelInput.image(candidate.jpg, size: size, fit: fit, into: out.baseAddress! + filled * plane) } catch {
                    skipped.drop(.imageUndecodable); continue
                }
                if options.grayscale > 0 && Self.drawsGray(seed: options.seed, position: candidate.position, probability: options.grayscale) {
                    ModelInput.toGray(out.baseAddress! + filled * plane, size: size)
                }
                count(ModelInput.text(candidate.caption, stored: candidate.render, storedAs: shardSet.render,
                                      size: size, renderer: renderer, into: out.baseAddress! + (pairs + filled) * plane))
                if candidate.weak {
                    batch.weights[filled] = options.weakWeight
                    batch.weak += 1
                }
                filled += 1
            }
            while filled < pairs {
                guard let sample = textPairs?.next() else { throw TrainError(message: "the text-pair shards hold no readable pair") }
                guard let first = sample.members["txt"], let second = sample.members["next.txt"] else { skipped.drop(.sampleIncomplete); continue }
                count(ModelInput.text(String(decoding: first, as: UTF8.self), stored: sample.members["render.png"], storedAs: shardSet.render,
                                            size: size, renderer: renderer, into: out.baseAddress! + filled * plane))
                count(ModelInput.text(String(decoding: second, as: UTF8.self), stored: sample.members["next.render.png"], storedAs: shardSet.render,
                                            size: size, renderer: renderer, into: out.baseAddress! + (pairs + filled) * plane))
                filled += 1
            }
        }
        (batch.stored, batch.rendered) = (stored, rendered)
        batch.imagesPosition = images.position
        batch.textPairsPosition = textPairs?.position ?? 0
        return batch
    }

    // MARK: The loop

    public func learningRate(_ step: Int) -> Float {
        let schedule: Schedule = switch options.schedule {
        case .rsqrt: .rsqrt(warmup: options.warmup, timescale: max(options.steps / 10, 1), cooldown: options.steps / 10)
        case .cosine: .cosine(warmup: options.warmup)
        }
        return schedule.rate(step, peak: options.learningRate, total: options.steps)
    }

    /// Trains until `options.steps`, or until `stopAfter` more steps (tests stop a run midway).
    public func run(stopAfter: Int? = nil) throws {
        let metricsPath = options.out + "/metrics.jsonl"
        try trimMetrics(metricsPath)
        let metrics = try MetricsLog(path: metricsPath)
        let last = min(options.steps, stopAfter.map { step + $0 } ?? options.steps)
        let prefetch = BatchPrefetcher(count: last - step) { try self.nextBatch() }
        let start = Date()
        let startStep = step
        defer { stepsRun += step - startStep }
        var previousEnd = Date()
        while step < last {
            let waitStart = Date()
            let batch = try prefetch.next()
            loaderWait += Date().timeIntervalSince(waitStart)
            consumed = (batch.imagesPosition, batch.textPairsPosition)
            let stepStart = Date()
            let loss = batch.pixels.withUnsafeBufferPointer {
                model.lossAndGradients($0.baseAddress!, pairs: options.batch, weights: batch.weak > 0 ? batch.weights : nil)
            }
            let norm = clipGlobalNorm(model.gradients, maxNorm: 1)
            let lr = learningRate(step)
            adafactor?.update(model.parameters, model.gradients, learningRate: lr)
            adamW?.update(model.parameters, model.gradients, learningRate: lr)
            step += 1
            let seconds = Date().timeIntervalSince(stepStart), wall = Date().timeIntervalSince(previousEnd)
            previousEnd = Date()
            // pairs_per_s: the model's step alone; step_seconds: wall time since the previous step, waits included.
            try metrics.write(MetricsLine(step: step, loss: Double(loss), lr: Double(lr), temperature: Double(exp(model.logitScale)),
                                          gradNorm: Double(norm), pairsPerSecond: Double(options.batch) / seconds, stepSeconds: wall,
                                          weakPairs: batch.weak))
            captionsFromShards += batch.stored
            captionsRendered += batch.rendered
            Progress.show(step: step, of: options.steps, batch: options.batch, loss: loss, pairsPerSecond: Double(options.batch * (step - startStep)) / Date().timeIntervalSince(start))
            if step % options.evalEvery == 0 || step == options.steps, let recall = try evaluate() {
                try metrics.write(MetricsLine(step: step, eval: recall))
                Progress.clear()
                log("step \(step): " + recall.summary)
            }
            Fault.point()
            if step % options.checkpointEvery == 0 || step == options.steps {
                try saveCheckpoint()
                try MetricsPlot.write(metrics: metricsPath, to: options.out + "/metrics.png")
            }
        }
        Progress.clear()
        loopSeconds += Date().timeIntervalSince(start)
        skipped.merge(images.counts)
        if let textPairs { skipped.merge(textPairs.counts) }
    }

    // MARK: Evaluation

    /// Recall over the val shards' image samples (nil without val shards).
    public func evaluate() throws -> Recall? {
        guard !shardSet.val.isEmpty else { return nil }
        let size = model.config.imageSize, plane = 3 * size * size, e = model.config.embedding
        let reader = SampleReader(shards: shardSet.val)
        var imageEmbeddings: [Float] = [], textEmbeddings: [Float] = []
        var chunk = [Float](), texts = [Float](), count = 0
        func flush() {
            let n = chunk.count / plane
            guard n > 0 else { return }
            imageEmbeddings += chunk.withUnsafeBufferPointer { model.embed($0.baseAddress!, count: n) }
            textEmbeddings += texts.withUnsafeBufferPointer { model.embed($0.baseAddress!, count: n) }
            chunk.removeAll(keepingCapacity: true); texts.removeAll(keepingCapacity: true)
        }
        var image = [Float](repeating: 0, count: plane), text = image
        var groups: [Int] = [], groupOf: [String: Int] = [:]
        while let sample = reader.next() {
            guard let jpg = sample.members["jpg"], let txt = sample.members["txt"] else { continue }
            guard (try? ModelInput.image(jpg, size: size, fit: fit, into: &image)) != nil else { continue }
            ModelInput.text(String(decoding: txt, as: UTF8.self), stored: sample.members["render.png"], storedAs: shardSet.render, size: size,
                            renderer: renderer, into: &text)
            let identity = ShardSample.imageIdentity(sample)
            groups.append(groupOf[identity] ?? groupOf.count)
            groupOf[identity] = groups.last!
            chunk += image; texts += text; count += 1
            if count % 64 == 0 { flush() }
        }
        flush()
        guard count > 1 else { return nil }
        return Self.recall(images: imageEmbeddings, texts: textEmbeddings, count: count, d: e, groups: groups)
    }

    /// Recall@k from L2-normalised embeddings of n pairs: pair i's image and caption belong
    /// together; `groups[i]` names pair i's image (pairs of one image share it; nil: all distinct).
    public static func recall(images: [Float], texts: [Float], count n: Int, d: Int, groups: [Int]? = nil) -> Recall {
        var similarity = [Float](repeating: 0, count: n * n)  // (image of pair i, caption j)
        images.withUnsafeBufferPointer { a in
            texts.withUnsafeBufferPointer { b in
                similarity.withUnsafeMutableBufferPointer { BLAS.sgemm(m: n, n: n, k: d, a: a.baseAddress!, b: b.baseAddress!, transB: true, c: $0.baseAddress!) }
            }
        }
        let group = groups ?? Array(0..<n)
        precondition(group.count == n, "recall needs one group per pair.")
        // Each image once: the first pair of its group stands for it.
        var first: [Int: Int] = [:], captions: [Int: [Int]] = [:]
        for i in 0..<n {
            if first[group[i]] == nil { first[group[i]] = i }
            captions[group[i], default: []].append(i)
        }
        let representatives = first.values.sorted()
        // text→image: how many other images score above the caption's own.
        let textRanks = (0..<n).map { j in
            let own = first[group[j]]!, target = similarity[own * n + j]
            return representatives.filter { $0 != own && similarity[$0 * n + j] > target }.count
        }
        // image→text: how many other images' captions score above the image's best own caption.
        let imageRanks = representatives.map { r in
            let mine = captions[group[r]]!, best = mine.map { similarity[r * n + $0] }.max()!
            return (0..<n).filter { group[$0] != group[r] && similarity[r * n + $0] > best }.count
        }
        func recallAt(_ ranks: [Int]) -> [Double] { Recall.ks.map { k in Double(ranks.filter { $0 < k }.count) / Double(ranks.count) } }
        let imageChance = Recall.ks.map { k in
            representatives.map { r -> Double in
                let c = captions[group[r]]!.count
                // The chance that none of the image's c captions is among k drawn from n.
                let none = (0..<min(k, n)).reduce(1.0) { p, i in p * max(0, Double(n - c - i)) / Double(n - i) }
                return 1 - none
            }.reduce(0, +) / Double(representatives.count)
        }
        return Recall(count: n, images: representatives.count, imageToText: recallAt(imageRanks), textToImage: recallAt(textRanks),
                      imageToTextChance: imageChance, textToImageChance: Recall.ks.map { min(1, Double($0) / Double(representatives.count)) })
    }

    // MARK: Checkpoints

    /// The optimizer's two state arenas (momentum, second moments), whichever optimizer runs.
    var optimizerArenas: [Arena] { adafactor.map { [$0.m, $0.v] } ?? [adamW!.m, adamW!.v] }

    func saveCheckpoint() throws {
        let path = options.out + String(format: "/step-%09d.safetensors", step)
        let extra = zip(["optimizer.m", "optimizer.v"], optimizerArenas).map {
            Safetensors.Entry(name: $0, shape: [$1.count], values: UnsafeBufferPointer($1.buffer))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let state: [String: String] = [
            "curate.train.options": String(decoding: try encoder.encode(options), as: UTF8.self),
            "curate.train.step": String(step),
            "curate.train.font_size": String(renderer.options.fontSize),
            "curate.train.optimizer_step": String(adafactor?.step ?? adamW?.step ?? 0),
            "curate.train.images_position": String(consumed.images),
            "curate.train.text_pairs_position": String(consumed.textPairs),
        ]
        try Checkpoint.save(model, to: path, extra: extra, metadata: state)
        let all = Self.checkpoints(in: options.out)
        for old in all.dropLast(max(options.keep, 1)) { try? FileManager.default.removeItem(atPath: old) }
    }

    func restore(_ file: Safetensors.File) throws {
        func number(_ key: String) throws -> Int {
            guard let text = file.metadata[key], let value = Int(text) else { throw TrainError(message: "the checkpoint lacks \(key); it was not written by curate train") }
            return value
        }
        step = try number("curate.train.step")
        for (name, arena) in zip(["optimizer.m", "optimizer.v"], optimizerArenas) {
            guard let tensor = file.tensors[name], tensor.values.count == arena.count else {
                throw TrainError(message: "the checkpoint's \(name) is missing or of another size; resume with the same --optimizer")
            }
            tensor.values.withUnsafeBufferPointer { arena.pointer.update(from: $0.baseAddress!, count: arena.count) }
        }
        let optimizerStep = try number("curate.train.optimizer_step")
        adafactor?.restore(step: optimizerStep)
        adamW?.restore(step: optimizerStep)
        consumed = (try number("curate.train.images_position"), try number("curate.train.text_pairs_position"))
        images.advance(by: consumed.images)
        textPairs?.advance(by: consumed.textPairs)
        log("resumed at step \(step) from \(options.out)")
    }

    /// Drops metrics lines of steps after the checkpoint a resumed run starts from.
    func trimMetrics(_ path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        let decoder = JSONDecoder()
        let kept = text.split(separator: "\n").filter { line in
            guard let parsed = try? decoder.decode(MetricsLine.self, from: Data(line.utf8)) else { return false }
            return parsed.step <= step
        }
        try AtomicFile.write(Array((kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).utf8), to: path)
    }
}
