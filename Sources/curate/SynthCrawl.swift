import ArgumentParser
import Foundation
import Synth

extension Curate {
    struct SynthCrawl: ParsableCommand, Exemplified {
        static let example = "curate synth-crawl --size demo --out /tmp/shapes    # a synthetic crawl with ground truth"
        static let configuration = CommandConfiguration(
            commandName: "synth-crawl",
            abstract: "Write a synthetic crawl with ground truth: a WARC, a wget mirror, an eval set, truth and detections.",
            discussion: """
            Draws a "Shapes Gallery" site whose images hold named shapes in named colours, described by
            alt texts of every quality, with the noise of real crawls in known amounts (logos, spacers,
            banners, junk alt texts, duplicates, near-duplicates, missing and corrupt images, a cut-off
            last record). Writes OUT/crawl.warc.gz (or --warc-files N files), OUT/mirror/ (with --mirror or the sample size),
            OUT/eval/, OUT/truth.jsonl and OUT/detections.jsonl; samples/README.md documents them.
            The same size and seed always write the same bytes.

            Sizes: sample (the committed samples/, under 5 MB), demo (about 7,000 content images),
            bench (about 1 GB of WARC).

            Example:
              \(example)
            """
        )

        @Option(help: "sample, demo or bench.")
        var size = "sample"

        @Option(help: "Output folder (created if needed; eval/ and mirror/ inside it are replaced).")
        var out: String

        @Option(help: "Override the size's number of pages.")
        var pages: Int?

        @Option(help: "Override the size's seed.")
        var seed: UInt64?

        @Flag(help: "Also write the wget --mirror layout (the sample size always does).")
        var mirror = false

        @Option(name: .customLong("warc-files"), help: "Write the crawl as this many WARC files, consecutive pages in each (crawl-00000.warc.gz, …); 1 writes crawl.warc.gz.")
        var warcFiles = 1

        @Option(help: "Write the images under this folder as HOST/PATH files instead of into the WARC files, as in a Common Crawl dump (for a web server to serve to curate fetch).")
        var imagesApart: String?

        func validate() throws {
            guard SynthConfig.named(size) != nil else { throw CommandFailure("--size must be sample, demo or bench, got \(size)") }
            if let pages, pages < 3 { throw CommandFailure("--pages must be at least 3, got \(pages)") }
            let pageCount = pages ?? SynthConfig.named(size)!.pages
            guard (1...pageCount).contains(warcFiles) else { throw CommandFailure("--warc-files must be between 1 and the number of pages (\(pageCount)), got \(warcFiles)") }
        }

        func run() throws {
            var config = SynthConfig.named(size)!
            if let pages { config.pages = pages }
            if let seed { config.seed = seed }
            config.mirror = config.mirror || mirror
            config.warcFiles = warcFiles
            config.imagesApart = imagesApart.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            let locks = try lockFolders([out])
            defer { withExtendedLifetime(locks) {} }
            let summary = try CrawlGenerator(config: config, folder: URL(fileURLWithPath: out)).run()
            let files = summary.warcFiles.count == 1 ? "\(out)/\(summary.warcFiles[0])" : "\(summary.warcFiles.count) WARC files \(out)/crawl-*.warc.gz"
            print("wrote \(files): \(summary.pages) pages, \(summary.contentImages) content images, \(summary.warcBytes) bytes")
            print(summary.kinds.keys.sorted().map { "\($0) \(summary.kinds[$0]!)" }.joined(separator: ", "))
        }
    }
}
