import ArgumentParser
import CurateCore
import Filters
import Foundation

extension Curate {
    struct MetadataCommand: ParsableCommand, Exemplified {
        static let example = "curate metadata --work curate-work    # MetaCLIP's metadata from WordNet and the crawl, for --rules built-in:metaclip.toml"
        static let configuration = CommandConfiguration(
            commandName: "metadata",
            abstract: "Build MetaCLIP's metadata entries from WordNet and the crawl's own unigrams and bigrams.",
            discussion: """
            Writes WORK/metaclip-metadata.txt (or --out), the entries curate filter's metadata_substring
            rule matches texts against (Sources/Filters/Rules/metaclip.toml): the numbers 0-99, every
            WordNet synset's name (Debian's wordnet-base), then the crawl's unigrams seen at least
            --min-unigram-count times and its bigrams seen at least --min-bigram-count times with
            PMI >= --min-pmi, counted over the alt texts and page sentences, until --max-entries.
            MetaCLIP takes its unigrams and bigrams from English Wikipedia (count >= 100, PMI >= 30),
            which curate cannot have; README: "Where curate departs from the papers".

            Examples:
              \(example)
              curate metadata --work curate-work --min-pmi 12 --max-entries 200000
              curate filter --work curate-work --rules built-in:metaclip.toml
            """
        )

        @OptionGroup var workOption: WorkOption

        @Option(help: "WordNet's folder (Debian's wordnet-base).")
        var wordnet = WordNet.defaultFolder

        @Option(help: "A crawl unigram becomes an entry when seen at least this often (MetaCLIP: 100 in Wikipedia).")
        var minUnigramCount = 5

        @Option(help: "A crawl bigram needs this many occurrences to be scored.")
        var minBigramCount = 5

        @Option(help: "…and at least this PMI, log2(n_ab·N / (n_a·n_b)) (MetaCLIP: 30 on Wikipedia's counts).")
        var minPmi = 10.0

        @Option(help: "At most this many entries (MetaCLIP: 500,000).")
        var maxEntries = 500_000

        @Flag(help: "Count the alt texts only, not the page sentences.")
        var altTextsOnly = false

        @Option(help: "Where to write the entries (default WORK/metaclip-metadata.txt).")
        var out: String?

        func validate() throws {
            guard minUnigramCount >= 1, minBigramCount >= 1 else { throw CommandFailure("--min-unigram-count and --min-bigram-count must be at least 1") }
            guard maxEntries >= 100 else { throw CommandFailure("--max-entries must be at least 100 (the numbers 0-99 come first)") }
            guard minPmi.isFinite else { throw CommandFailure("--min-pmi must be a number") }
        }

        func run() throws {
            var options = MetadataBuilder.Options(workDirectory: workOption.work)
            options.wordNetFolder = wordnet
            options.minUnigramCount = minUnigramCount
            options.minBigramCount = minBigramCount
            options.minPMI = minPmi
            options.maxEntries = maxEntries
            options.includePageSentences = !altTextsOnly
            options.output = out
            let started = Date()
            do {
                let summary = try MetadataBuilder(options: options).build { FileHandle.standardError.write(Data(("  " + $0 + "\n").utf8)) }
                print("\(summary.entries) entries: \(summary.numbers) numbers, \(summary.wordNet) WordNet synset names, \(summary.unigrams) crawl unigrams, \(summary.bigrams) crawl bigrams")
                print(String(format: "from %d texts (%d tokens) in %.1f s: %@", summary.texts, summary.tokens, Date().timeIntervalSince(started), options.outputPath))
            } catch let error as FilterError {
                throw CommandFailure(error.description)
            } catch let error as AtomicFile.WriteError {
                throw CommandFailure(error.description)
            }
        }
    }
}
