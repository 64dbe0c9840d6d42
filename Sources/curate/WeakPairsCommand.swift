import Align
import ArgumentParser
import Foundation

extension Curate {
    struct WeakPairsCommand: ParsableCommand, Exemplified {
        static let example = "curate weak-pairs --detections samples/detections.jsonl    # µ-VLA: tags -> top-5 sentences"
        static let configuration = CommandConfiguration(
            commandName: "weak-pairs",
            abstract: "Pair images that have no usable alt text with the sentences that best match their object tags (µ-VLA).",
            discussion: """
            For every image the last `curate filter` kept that has no kept alt-text pair (every kept
            image with --all-images), takes its tags from --detections (µ-VLA's rules: confidence
            >= 0.3, box >= 1% of the image; classes by count, then size) or else from its own context
            (file name, title, figcaption), queries the sentences of the crawled pages (or --corpus)
            through SQLite FTS5 with BM25, and stores the top K as weak pairs (table weak_pairs, with
            tags, tag source, rank and score). Each run replaces the previous run's weak pairs.

            Examples:
              \(example)
              curate weak-pairs --corpus ../shared/corpus/text/prose --exclude-own-pages --require-tag-word
            """
        )

        @OptionGroup var workOption: WorkOption
        var work: String { workOption.work }

        @OptionGroup var detectionsOption: DetectionsOption
        var detections: String? { detectionsOption.detections }

        @Option(parsing: .upToNextOption, help: "Text files or folders of sentences to retrieve from instead of the pages' sentences.")
        var corpus: [String] = []

        @Option(name: .short, help: "Sentences per image.")
        var k = 5

        @Flag(help: "Make weak pairs for every kept image, not only those without a kept alt text.")
        var allImages = false

        @Flag(help: "Never pair an image with a sentence of a page it appears on (µ-VLA's cross-corpus setting).")
        var excludeOwnPages = false

        @Flag(help: "Keep only sentences with a word whose (plural-stripped) stem is a tag's.")
        var requireTagWord = false

        @OptionGroup var threadsOption: ThreadsOption
        var threads: Int { threadsOption.threads }

        func validate() throws {
            guard (1...100).contains(k) else { throw CommandFailure("-k must be between 1 and 100, got \(k)") }
        }

        func run() throws {
            let locks = try lockFolders([], ifPresent: [work])
            defer { withExtendedLifetime(locks) {} }
            var options = WeakPairOptions(workDirectory: work)
            options.detections = detections
            options.corpus = corpus
            options.k = k
            options.allImages = allImages
            options.excludeOwnPages = excludeOwnPages
            options.requireTagWord = requireTagWord
            options.threads = threads
            do {
                print(try WeakPairs(options: options).run().text)
            } catch let error as AlignError {
                throw CommandFailure(error.description)
            }
        }
    }
}
