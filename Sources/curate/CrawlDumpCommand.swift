import ArgumentParser
import Crawl
import Foundation

extension Curate {
    struct CrawlDump: ParsableCommand, Exemplified {
        static let example = "curate crawl-dump samples/crawl.warc.gz --work curate-work    # pages, images, img/alt pairs, sentences"
        static let configuration = CommandConfiguration(
            commandName: "crawl-dump",
            abstract: "Read WARC files or wget mirrors into the catalog: pages, images, img/alt pairs, sentences.",
            discussion: """
            Each PATH is a WARC file (.warc, or .warc.gz with one gzip member per record or one for
            the whole file), a folder of WARC files, or a folder written by `wget --mirror`. Image
            bytes are taken from the dump itself; a reference to an image the dump does not hold is
            recorded as missing. Broken records are skipped with a reason and their byte offset.

            Writes WORK/catalog.sqlite (README.md, "The catalog", documents its tables). A dump
            already read (same content hash) is not read again; a killed run, re-run, finishes the
            job with nothing lost and nothing duplicated.

            Example:
              \(example)
            """
        )

        @Argument(help: "WARC files, folders of WARC files, or wget --mirror folders.")
        var paths: [String]

        @OptionGroup var workOption: WorkOption
        var work: String { workOption.work }

        @OptionGroup var threadsOption: ThreadsOption
        var threads: Int { threadsOption.threads }

        @Option(help: "Skip response records larger than this many MB (record_too_large).")
        var maxRecordMb = 256

        @Option(help: "Records per batch; the catalog commits after each (smaller: finer resume points).")
        var batchRecords = 512

        @Option(help: "The HTML parser: html5 (curate's tokenizer, from the WHATWG standard) or libxml2 (Debian's libxml2 2.9).")
        var htmlParser: HTMLParserChoice = .html5

        func validate() throws {
            guard !paths.isEmpty else { throw CommandFailure("give at least one WARC file or folder, e.g. curate crawl-dump samples/crawl.warc.gz") }
            guard batchRecords >= 1 else { throw CommandFailure("--batch-records must be at least 1, got \(batchRecords)") }
            guard maxRecordMb >= 1 else { throw CommandFailure("--max-record-mb must be at least 1, got \(maxRecordMb)") }
        }

        func run() throws {
            let locks = try lockFolders([work])
            defer { withExtendedLifetime(locks) {} }
            do {
                let options = CrawlOptions(inputs: paths, workDirectory: work, threads: threads, maxRecordBytes: maxRecordMb << 20, batchRecords: batchRecords,
                                           htmlParser: htmlParser)
                let crawl = try Crawl.CrawlDump(options: options)
                let line = ProgressLine()
                crawl.onProgress = { p in
                    line.show(String(format: "records %d  pages %d  images %d  alt pairs %d  %.1f MB/s",
                                     p.records, p.pages, p.images, p.altPairs, Double(p.bytes) / 1e6 / max(p.seconds, 1e-3)))
                }
                let summary = try crawl.run()
                line.finish()
                summary.lines.forEach { print($0) }
                print("catalog: \(crawl.catalogPath)")
            } catch let error as CrawlError {
                throw CommandFailure(error.description)
            }
        }
    }
}

/// One line rewritten in place on a terminal (stderr), at most ten times a second; nothing when
/// stderr is not a terminal.
final class ProgressLine {
    private let enabled = isatty(STDERR_FILENO) == 1
    private var last = Date.distantPast
    private var shown = false

    func show(_ text: String) {
        guard enabled, Date().timeIntervalSince(last) > 0.1 else { return }
        last = Date()
        shown = true
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
    }

    func finish() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
