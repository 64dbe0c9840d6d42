import ArgumentParser
import CurateCore
import Foundation
import Kernels
import Train

extension Curate {
    struct TrainCommand: ParsableCommand, Exemplified {
        static let example = "curate train --shards curate-work/shards --steps 300    # CLIPPO on the shards, mu model"
        static let configuration = CommandConfiguration(
            commandName: "train",
            abstract: "Train a CLIPPO model (one ViT for images and rendered text) on the shards of curate build-shards.",
            discussion: """
            Reads train-*.tar (image samples: the image and its rendered caption) and textpairs-*.tar
            (two consecutive sentences, both rendered; mixed in at --text-pairs-fraction, 0.25 when
            they exist), through a seeded shuffle buffer. Weak µ-VLA pairs count --weak-weight in the
            loss. Writes OUT/step-NNNNNNNNN.safetensors every --checkpoint-every steps (the last
            --keep kept; model, optimizer state, step and data position) and OUT/metrics.jsonl;
            evaluates image<->text recall@1/5/10 on val-*.tar every --eval-every steps and at the end.
            --resume continues the newest checkpoint in OUT exactly.

            Examples:
              \(example)
              curate train --shards curate-work/shards --model Ti/16 --set image-size=112 --batch 64 --optimizer adamw
              curate train --shards curate-work/shards --out curate-work/model --resume
            """
        )

        @OptionGroup var shardsOption: ShardsOption
        var shards: String { shardsOption.shards }

        @Option(help: "Where checkpoints and metrics.jsonl go.")
        var out = "curate-work/model"

        @Option(help: "mu, Ti/16, S/16 or B/16.")
        var model = "mu"

        @Option(name: .customLong("set"), help: "A model setting, key=value (width, depth, heads, mlp-ratio, patch, image-size, pooling, embedding, initial-scale).")
        var settings: [String] = []

        @Option(help: "Training steps.") var steps = 300
        @Option(help: "Pairs per step.") var batch = 32
        @Option(help: "adafactor (big_vision's, CLIPPO's) or adamw.") var optimizer = "adafactor"
        @Option(help: "Peak learning rate.") var learningRate: Float = 1e-3
        @Option(help: "Decoupled weight decay (matrices and embeddings only).") var weightDecay: Float = 1e-4
        @Option(help: "Build each batch from a pool twice its size in groups of this many captions that share the most words (hard negatives); 0: off.") var hardNegatives = 0
        @Option(help: "The share of train images shown in gray (random grayscale, 0 to 1): colour alone then cannot match every caption.") var grayscale: Double = 0
        @Option(help: "AdamW's second-moment decay β2 (0.999 as PyTorch; CLIP's 0.98 tolerates higher learning rates).") var adamBeta2: Float = 0.999
        @Option(help: "cosine (linear warm-up then cosine) or rsqrt (big_vision's, with cool-down).") var schedule = "cosine"
        @Option(help: "Warm-up steps.") var warmup = 20
        @Option(help: "Text/text pairs per batch (0 to 0.99; default 0.25 when text-pair shards exist).") var textPairsFraction: Double?
        @Option(help: "Loss weight of weak (µ-VLA) pairs; 0 trains on none (they are passed over).") var weakWeight: Float = 0.5
        @Option(help: "resize (big_vision's plain resize) or center-crop.") var fit = "resize"
        @Option(help: "Unifont's size for rendered captions (default: CLIPPO's 16 for inputs of 224 and more, 8 below).") var fontSize: Int?
        @Option(help: "fp32, or bf16: the linear layers' products with bfloat16 operands and fp32 sums (needs AVX512-BF16).") var precision = "fp32"
        @Option(help: "Seed of the initialisation and the data order.") var seed: UInt64 = 0
        @Option(help: "Steps between checkpoints.") var checkpointEvery = 100
        @Option(help: "Checkpoints kept.") var keep = 3
        @Option(help: "Steps between evaluations.") var evalEvery = 100
        @Flag(help: "Continue the newest checkpoint in --out.") var resume = false

        /// Each enumerated option is one of its choices, or a one-line error listing them.
        static func choice<T: RawRepresentable & CaseIterable>(_ value: String, _ option: String, _ type: T.Type) throws -> T where T.RawValue == String {
            guard let choice = T(rawValue: value) else {
                throw CommandFailure("--\(option) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), got \(value)")
            }
            return choice
        }

        func validate() throws {
            _ = try Self.choice(optimizer, "optimizer", OptimizerName.self)
            _ = try Self.choice(schedule, "schedule", ScheduleName.self)
            _ = try Self.choice(fit, "fit", ModelInput.Fit.self)
            _ = try Self.choice(precision, "precision", Precision.self)
            let variants = ViTConfig.variants.map(\.name)
            guard variants.contains(where: { $0.lowercased() == model.lowercased() }) else {
                throw CommandFailure("--model must be one of \(variants.joined(separator: ", ")), got \(model)")
            }
            guard hardNegatives >= 0 && hardNegatives <= batch else { throw CommandFailure("--hard-negatives must be from 0 to --batch, got \(hardNegatives)") }
            guard (0...1).contains(grayscale) else { throw CommandFailure("--grayscale must be from 0 to 1, got \(grayscale)") }
            guard adamBeta2 > 0 && adamBeta2 < 1 else { throw CommandFailure("--adam-beta2 must be between 0 and 1, got \(adamBeta2)") }
            guard steps > 0, batch >= 2, checkpointEvery > 0, evalEvery > 0, keep > 0, warmup >= 0 else {
                throw CommandFailure("--steps, --checkpoint-every, --eval-every and --keep must be positive and --batch at least 2")
            }
        }

        func run() throws {
            try requireVectorCPU("train")
            let locks = try lockFolders([out])
            defer { withExtendedLifetime(locks) {} }
            var options = TrainOptions(shards: shards, out: out)
            options.model = model; options.modelSettings = settings; options.steps = steps; options.batch = batch
            options.optimizer = try Self.choice(optimizer, "optimizer", OptimizerName.self); options.learningRate = learningRate; options.weightDecay = weightDecay
            options.schedule = try Self.choice(schedule, "schedule", ScheduleName.self); options.warmup = warmup; options.textPairsFraction = textPairsFraction
            options.weakWeight = weakWeight; options.fit = try Self.choice(fit, "fit", ModelInput.Fit.self); options.seed = seed; options.fontSize = fontSize
            options.precision = try Self.choice(precision, "precision", Precision.self)
            options.adamBeta2 = adamBeta2
            options.grayscale = grayscale
            options.hardNegatives = hardNegatives
            options.checkpointEvery = checkpointEvery; options.keep = keep; options.evalEvery = evalEvery
            do {
                let trainer = try Trainer(options: options, resume: resume)
                // Unbuffered, so evaluation lines appear as they happen, also in a log file.
                trainer.log = { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }
                print("model \(trainer.model.config.summary); \(trainer.model.table.count) parameters; batch \(batch) pairs")
                let started = Date()
                try trainer.run()
                let skipped = trainer.skipped.dropped.map { "\($0.key) \($0.value)" }.sorted().joined(separator: ", ")
                print(String(format: "trained to step %d in %.0f s (%.1f pairs/s; the model waited %.1f s for batches); skipped: %@; checkpoints and metrics.jsonl in %@",
                             trainer.step, Date().timeIntervalSince(started), Double(batch * trainer.stepsRun) / max(trainer.loopSeconds, 1e-9),
                             trainer.loaderWait, skipped.isEmpty ? "none" : skipped, out))
                print("captions: \(trainer.captionsFromShards) from the shards' render.png, \(trainer.captionsRendered) rendered here"
                      + (trainer.captionsRendered > 0 ? " (the shards were rendered at \(trainer.shardSet.render.size) px, font size \(trainer.shardSet.render.fontSize); build-shards --render-size \(trainer.model.config.imageSize) --render-font-size \(trainer.renderFontSize) renders for this model)" : ""))
            } catch let error as AtomicFile.WriteError where error.diskFull {
                throw CommandFailure(error.description(rerun: "run again with --resume"))
            } catch let error as TrainError {
                throw CommandFailure(error.description)
            } catch let error as ShardDataError {
                throw CommandFailure(error.description)
            } catch let error as ModelError {
                throw CommandFailure(error.description)
            } catch let error as SafetensorsError {
                throw CommandFailure(error.description)
            }
        }
    }
}
