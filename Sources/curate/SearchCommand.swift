import ArgumentParser
import Foundation
import Train

extension Curate {
    struct SearchCommand: ParsableCommand, Exemplified {
        static let example = "curate search --checkpoint curate-work/model/step-000000300.safetensors \"a red circle\""
        static let configuration = CommandConfiguration(
            commandName: "search",
            abstract: "Rank the val shards' images for a text query with a trained model.",
            discussion: """
            Renders the query with Unifont as in training, embeds it and every image of the val
            shards (the train shards when there are none), and prints the best matches: score, key,
            and the image's own caption.

            With --truth (a synthetic crawl's truth.jsonl) and no query, judges the model instead:
            for each colour and shape that some val image holds, a query ("a large pink circle")
            and the fraction of its top min(5, R) images that hold that colour and shape (R: the
            val images that do), averaged; then text→image recall over the alt-text val pairs.

            Examples:
              \(example)
              curate search --checkpoint model.safetensors --shards curate-work/shards -k 10 "two blue squares"
              curate search --checkpoint model.safetensors --shards curate-demo/work/shards --truth curate-demo/crawl/truth.jsonl
            """
        )

        @OptionGroup var checkpointOption: CheckpointOption
        var checkpoint: String { checkpointOption.checkpoint }
        @OptionGroup var shardsOption: ShardsOption
        var shards: String { shardsOption.shards }
        @Option(name: .short, help: "How many images to print.") var k = 5
        @Option(help: "A synthetic crawl's truth.jsonl: judge colour-and-shape search over the val images instead of one query.")
        var truth: String?
        @Flag(help: "With --truth: print every query's line too.") var verbose = false
        @Argument(help: "The text to search for.") var query: String?

        func validate() throws {
            guard (query == nil) != (truth == nil) else { throw CommandFailure("give a query or --truth FILE (to judge the model), not both or neither") }
        }

        func run() throws {
            try requireVectorCPU("search")
            do {
                let embedder = try Embedder(checkpoint: checkpoint)
                guard let query else {
                    let quality = embedder.demoQuality(shards: try ShardSet(folder: shards), truth: try ImageTruth(path: truth!))
                    guard quality.search.judged > 0 else {
                        throw CommandFailure("none of the \(quality.search.images) val images in \(shards) is in \(truth!); pass the truth.jsonl of the crawl these shards came from")
                    }
                    if verbose {
                        for q in quality.search.queries {
                            print(String(format: "%.2f  %-28@ (%d val images hold a %@ %@)", q.precision, q.query, q.relevant, q.colour, q.shape))
                        }
                    }
                    print(quality.summary)
                    return
                }
                for (rank, hit) in try embedder.search(query, shards: try ShardSet(folder: shards), top: k).enumerated() {
                    print(String(format: "%2d  %.3f  %@  %@", rank + 1, hit.score, hit.key, hit.caption))
                }
            } catch let error as ShardDataError {
                throw CommandFailure(error.description)
            } catch let error as SafetensorsError {
                throw CommandFailure(error.description)
            } catch let error as TrainError {
                throw CommandFailure(error.description)
            }
        }
    }

    struct EmbedCommand: ParsableCommand, Exemplified {
        static let example = "curate embed --checkpoint model.safetensors --texts captions.txt --out embeddings.jsonl"
        static let configuration = CommandConfiguration(
            commandName: "embed",
            abstract: "Write a trained model's embeddings of images or texts, one JSON line each.",
            discussion: """
            Each line is {"input": path or text, "embedding": [...]} with the L2-normalised
            embedding. Texts come one per line from --texts (or - for standard input) and are
            rendered with Unifont as in training. Images that do not decode are reported and skipped.

            Examples:
              \(example)
              curate embed --checkpoint model.safetensors --images samples/images/*.jpg --out images.jsonl
            """
        )

        @OptionGroup var checkpointOption: CheckpointOption
        var checkpoint: String { checkpointOption.checkpoint }
        @Option(parsing: .upToNextOption, help: "Image files.") var images: [String] = []
        @Option(help: "A file of texts, one per line (- for standard input).") var texts: String?
        @Option(help: "Where the JSON lines go (- for standard output).") var out = "-"

        func validate() throws {
            guard images.isEmpty != (texts == nil) else { throw CommandFailure("give either --images or --texts") }
        }

        func run() throws {
            try requireVectorCPU("embed")
            let embedder: Embedder
            do { embedder = try Embedder(checkpoint: checkpoint) } catch let error as SafetensorsError { throw CommandFailure(error.description) }
            var lines: [String] = []
            func line(_ input: String, _ embedding: [Float]) throws -> String {
                String(decoding: try JSONSerialization.data(withJSONObject: ["input": input, "embedding": embedding.map(Double.init)], options: [.sortedKeys]), as: UTF8.self)
            }
            if let texts {
                let source = texts == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                    : try String(contentsOfFile: texts, encoding: .utf8)
                let all = source.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
                for (text, embedding) in zip(all, embedder.embed(texts: all)) { lines.append(try line(text, embedding)) }
            } else {
                var skipped = 0
                let embeddings = embedder.embed(images: images.map { [UInt8](FileManager.default.contents(atPath: $0) ?? Data()) })
                for (path, embedding) in zip(images, embeddings) {
                    guard let embedding else {
                        FileHandle.standardError.write(Data("skipped \(path): unreadable or not a decodable image\n".utf8))
                        skipped += 1
                        continue
                    }
                    lines.append(try line(path, embedding))
                }
                if skipped > 0 { FileHandle.standardError.write(Data("\(skipped) of \(images.count) images skipped\n".utf8)) }
            }
            let text = lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
            if out == "-" { print(text, terminator: "") } else { try text.write(toFile: out, atomically: true, encoding: .utf8) }
        }
    }
}
