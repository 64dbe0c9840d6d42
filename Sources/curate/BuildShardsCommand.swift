import Align
import ArgumentParser
import Catalog
import Crawl
import Foundation
import Imaging
import Render
import Shards

extension Curate {
    struct BuildShardsCommand: ParsableCommand, Exemplified {
        static let example = "curate build-shards --work curate-work --out shards    # WebDataset shards for curate train and open_clip"
        static let configuration = CommandConfiguration(
            commandName: "build-shards",
            abstract: "Write WebDataset shards of the kept pairs and weak pairs: jpg, txt, CLIPPO's text render and json per sample.",
            discussion: """
            Reads the pairs the last `curate filter` kept and the weak pairs (running `curate
            weak-pairs` first, with --detections if given, when it has never run), shuffles them by
            --seed, puts whole images into a validation split (about 2%, at least 300 samples when
            the data has five times that), and writes train-000000.tar…, val-000000.tar… and, with
            --text-pairs, textpairs-000000.tar… beside sizes.json and manifest.json. Each sample
            is KEY.jpg (resized), KEY.txt, KEY.render.png (the caption as CLIPPO renders it) and
            KEY.json. Shards are written under temporary names and renamed when complete; a killed
            run resumes where it stopped and gives the same bytes as an uninterrupted one.

            Examples:
              \(example)
              curate build-shards --resize stretch-224 --text-pairs 0.25 --shard-samples 5000
            """
        )

        @OptionGroup var workOption: WorkOption
        var work: String { workOption.work }

        @Option(help: "The folder for the shards (default WORK/shards).")
        var out: String?

        @Option(help: "Inputs per shard (an image that cannot be made leaves its shard one short).")
        var shardSamples = 1000

        @Option(help: "Largest shard in MB (a shard whose samples would pass it is an error: lower --shard-samples).")
        var shardMb = 1024

        @Option(help: "Image size: shorter-256 (shorter side 256, ratio kept) or stretch-224 (big_vision's plain 224x224).")
        var resize = "shorter-256"

        @Option(help: "Text/text pairs: a count, or a ratio of the image samples such as 0.25.")
        var textPairs = "0"

        @Option(help: "Seed of the shuffle and the split.")
        var seed: UInt64 = 0

        @Option(help: "Validation fraction.")
        var valFraction = 0.02

        /// For weak-pairs, when it has to run first.
        @OptionGroup var detectionsOption: DetectionsOption
        var detections: String? { detectionsOption.detections }

        @Option(help: "Pixels of the rendered captions (render.png): the image size of the model the shards are for (CLIPPO: 224).")
        var renderSize = RenderOptions.clippo.imageSize

        @Option(help: "Unifont size of the rendered captions (CLIPPO: 16; 8 suits models of 64 px).")
        var renderFontSize = RenderOptions.clippo.fontSize

        var renderOptions: RenderOptions {
            var options = RenderOptions.clippo
            options.imageSize = renderSize
            options.fontSize = renderFontSize
            return options
        }

        var resizeMode: ResizeMode? {
            let parts = resize.split(separator: "-")
            guard parts.count == 2, let n = Int(parts[1]), (16...4096).contains(n) else { return nil }
            switch parts[0] {
            case "shorter": return .shorterSide(n)
            case "stretch": return .stretch(width: n, height: n)
            default: return nil
            }
        }

        func validate() throws {
            guard resizeMode != nil else { throw CommandFailure("--resize must be shorter-N or stretch-N with N from 16 to 4096 (e.g. shorter-256, stretch-224), got \(resize)") }
            guard shardSamples >= 1 else { throw CommandFailure("--shard-samples must be at least 1, got \(shardSamples)") }
            do { try renderOptions.validate() } catch let error as RenderError {
                throw CommandFailure("--render-size \(renderSize) --render-font-size \(renderFontSize): \(error.description)")
            }
            guard shardMb >= 1 else { throw CommandFailure("--shard-mb must be at least 1, got \(shardMb)") }
            guard let value = Double(textPairs), value >= 0 else { throw CommandFailure("--text-pairs must be a count or a ratio such as 0.25, got \(textPairs)") }
            guard (0..<1).contains(valFraction) else { throw CommandFailure("--val-fraction must be at least 0 and below 1, got \(valFraction)") }
        }

        func run() throws {
            // The shard folder, and the work folder (its catalog gains weak pairs when they are
            // missing); neither is created for a work folder that does not exist (BuildShards says so).
            let workExists = FileManager.default.fileExists(atPath: work)
            let locks = try lockFolders(workExists ? [out ?? work + "/shards"] : [], ifPresent: [work])
            defer { withExtendedLifetime(locks) {} }
            do {
                try runWeakPairsIfMissing()
                let summary = try BuildShards(options: options, read: StoredPayload.reader).run()
                print(summary.text)
            } catch let error as ShardsError {
                throw CommandFailure(error.description)
            } catch let error as AlignError {
                throw CommandFailure(error.description)
            }
        }

        /// The options as the library takes them (also for `curate task`'s shard tasks, which
        /// parse the same arguments).
        var options: BuildShardsOptions {
            var options = BuildShardsOptions(workDirectory: work, outDirectory: out ?? work + "/shards")
            options.shardSamples = shardSamples
            options.shardBytes = shardMb << 20
            options.resize = resizeMode!
            options.render = renderOptions
            options.seed = seed
            options.valFraction = valFraction
            let value = Double(textPairs)!
            if value < 1 && value > 0 { options.textPairsRatio = value } else { options.textPairs = Int(value) }
            return options
        }

        /// build-shards makes the weak pairs itself when `curate weak-pairs` never ran.
        func runWeakPairsIfMissing() throws {
            let path = work + "/catalog.sqlite"
            guard FileManager.default.fileExists(atPath: path) else { return }  // BuildShards reports it
            let store: CatalogStore
            do { store = try CatalogStore(path: path) } catch let error as CatalogError { throw CommandFailure(error.description) }
            guard try store.lastFilterRun() != nil, try store.lastRun(WeakPairsRun.self) == nil else { return }
            var options = WeakPairOptions(workDirectory: work)
            options.detections = detections
            print(try WeakPairs(options: options).run().text)
        }
    }
}
