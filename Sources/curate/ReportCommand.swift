import ArgumentParser
import Crawl
import Foundation
import Report
import Train

extension Curate {
    struct ReportCommand: ParsableCommand, Exemplified {
        static let example = "curate report --work curate-work    # curate-work/report/index.html"
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Write a static HTML page of what a work folder's runs kept, dropped and learned.",
            discussion: """
            Reads the catalog, the shards and the model folder, and writes OUT/index.html with its
            images beside it in OUT/images (no scripts, fonts or network): the funnel from crawl to
            shards rule by rule, example drops of each filter rule, kept samples with their rendered
            captions, weak pairs with their tags and sentences, the eval decontamination list, the
            training curves and recall, and text-query retrieval with the last checkpoint. A stage
            that has not run is shown as such. Nothing in the work folder is changed.

            Examples:
              \(example)
              curate report --work curate-demo/work --query "a large pink circle" --query "two blue squares"
            """
        )

        @OptionGroup var workOption: WorkOption
        var work: String { workOption.work }

        @Option(help: "Where index.html and images/ go (default WORK/report); replaced as a whole.")
        var out: String?

        @Option(help: "The shard folder (default WORK/shards).")
        var shards: String?

        @Option(help: "The folder of curate train's checkpoints and metrics.jsonl (default WORK/model).")
        var model: String?

        @Option(help: "Examples per grid.")
        var examples = 12

        @Option(help: "A text query for the retrieval section (repeatable), besides val captions.")
        var query: [String] = []

        @Option(help: "A synthetic crawl's truth.jsonl: the retrieval section judges colour-and-shape search against it.")
        var truth: String?

        func validate() throws {
            guard (1...500).contains(examples) else { throw CommandFailure("--examples must be from 1 to 500, got \(examples)") }
        }

        func run() throws {
            var options = ReportOptions()
            options.work = work
            options.out = out
            options.shards = shards
            options.model = model
            options.examples = examples
            options.queries = query
            options.truth = truth
            // The report replaces OUT as a whole from OUT.partial beside it: the lock is their parent's.
            let locks = try lockFolders([], ifPresent: [URL(fileURLWithPath: options.outFolder).deletingLastPathComponent().path])
            defer { withExtendedLifetime(locks) {} }
            do {
                let summary = try Report(options: options, readImage: StoredPayload.reader, retriever: Self.retrieve,
                                         checkpointMetadata: { try? Safetensors.metadata($0) }).run()
                for warning in summary.warnings { print("warning: \(warning)") }
                if !summary.sectionsNotRun.isEmpty { print("not run yet: " + summary.sectionsNotRun.joined(separator: ", ")) }
                print("wrote \(summary.page) (\(summary.sectionsRun.count) sections, \(summary.files) files)")
            } catch let error as ReportError {
                throw CommandFailure(error.description)
            }
        }

        /// Recall and text-query examples with a checkpoint, through Train.
        static func retrieve(checkpoint: String, shards: String, queries: [String], automatic: Int, top: Int, truth: String?) throws -> RetrievalResults {
            let embedder = try Embedder(checkpoint: checkpoint)
            let summary = embedder.examples(shards: try ShardSet(folder: shards), queries: queries, automatic: automatic, top: top,
                                            truth: try truth.map { try ImageTruth(path: $0) })
            let search = summary.search
            return RetrievalResults(
                recalls: summary.recalls.map {
                    .init(name: $0.name, recall: $0.recall)
                },
                examples: summary.examples.map { example in
                    .init(query: example.query, expectedKey: example.expectedKey,
                          hits: example.hits.map { .init(key: $0.key, caption: $0.caption, score: $0.score, image: $0.image) })
                },
                shapeSearch: search.map { search in
                    .init(mean: search.mean, colours: search.colours.count, shapes: search.shapes.count, images: search.images,
                          queries: search.queries.map { .init(query: $0.query, relevant: $0.relevant, precision: $0.precision) })
                })
        }
    }
}
