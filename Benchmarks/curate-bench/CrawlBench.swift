// crawl-dump's stages alone, on one thread: reading the WARC, then reading and processing every
// record (HTTP, charset, libxml2 extraction, sentences, image probe and hash). The whole command
// with its catalog is timed from outside by bench/crawl_bench.py, which also runs the peers.
import Crawl
import Foundation

func crawlStages(_ warc: String) {
    func run(_ stage: (String) throws -> CrawlStages.Figures) -> [CrawlStages.Figures] {
        (0..<options.reps).map { _ in
            do { return try stage(warc) } catch {
                FileHandle.standardError.write(Data("curate-bench: \(warc): \(error)\n".utf8))
                exit(1)
            }
        }
    }
    func median(_ runs: [CrawlStages.Figures]) -> CrawlStages.Figures { runs.sorted { $0.seconds < $1.seconds }[runs.count / 2] }
    if options.pipelineOnly {
        // bench/crawl_bench.py's rounds: read + extract alone (curate's parser), one figure.
        let processed = median(run { try CrawlStages.process($0, parser: .html5) })
        if let path = options.json {
            append(String(format: "{\"stage\": \"curate-read+process\", \"pages_per_s\": %.1f}\n", Double(processed.pages) / processed.seconds), to: path)
        }
        print(String(format: "read + process (html5) %.0f pages/s", Double(processed.pages) / processed.seconds))
        return
    }
    let read = median(run(CrawlStages.read))
    let processed = median(run { try CrawlStages.process($0, parser: .html5) })
    let processedLibXML2 = median(run { try CrawlStages.process($0, parser: .libxml2) })
    let pages = Double(processed.pages)
    let inMemory = (try? CrawlStages.pages(warc)) ?? []
    let htmlMB = Double(inMemory.reduce(0) { $0 + $1.utf8.count }) / 1e6
    func best(_ body: () -> Double) -> Double { (0..<options.reps).map { _ in body() }.sorted()[options.reps / 2] }
    let tokenize = best { CrawlStages.parseOnly(inMemory, parser: .html5) }
    let parseLibXML2 = best { CrawlStages.parseOnly(inMemory, parser: .libxml2) }
    let extract = best { CrawlStages.extractOnly(inMemory, parser: .html5) }
    let extractLibXML2 = best { CrawlStages.extractOnly(inMemory, parser: .libxml2) }
    print(String(format: "crawl stage, 1 thread                  pages/s  block MB/s   (%d records, %d pages, %d <img>, %d sentences)",
                 processed.records, processed.pages, processed.imageReferences, processed.sentences))
    print(String(format: "read (gzip, WARC framing)             %8.0f  %9.1f", pages / read.seconds, Double(read.blockBytes) / 1e6 / read.seconds))
    print(String(format: "read + process (html5)                %8.0f  %9.1f", pages / processed.seconds, Double(processed.blockBytes) / 1e6 / processed.seconds))
    print(String(format: "read + process (libxml2)              %8.0f  %9.1f", pages / processedLibXML2.seconds, Double(processedLibXML2.blockBytes) / 1e6 / processedLibXML2.seconds))
    print(String(format: "in memory: html5 tokenizer only       %8.0f  %9.1f   (HTML MB/s; tokens to a sink that does nothing)", Double(inMemory.count) / tokenize, htmlMB / tokenize))
    print(String(format: "in memory: libxml2 parse only         %8.0f  %9.1f   (HTML MB/s; no callbacks)", Double(inMemory.count) / parseLibXML2, htmlMB / parseLibXML2))
    print(String(format: "in memory: extract (html5)            %8.0f  %9.1f   (HTML MB/s; parse + <img> + sentences)", Double(inMemory.count) / extract, htmlMB / extract))
    print(String(format: "in memory: extract (libxml2)          %8.0f  %9.1f", Double(inMemory.count) / extractLibXML2, htmlMB / extractLibXML2))
    if let path = options.json {
        let line = String(format: "{\"stage\": \"curate-read\", \"pages_per_s\": %.1f}\n{\"stage\": \"curate-read+process\", \"pages_per_s\": %.1f}\n",
                          pages / read.seconds, pages / processed.seconds)
        append(line, to: path)
    }
}
