import Foundation

/// crawl-dump's stages run alone on one thread, for `curate-bench`: where a crawl's time goes.
/// `read` is the WARC reader (gzip, record framing); `process` adds what a worker does to each
/// record (HTTP, charset, HTML extraction, sentences, image probe and SHA-256). Neither
/// writes anything; the whole command (with the catalog) is `CrawlDump`.
public enum CrawlStages {
    public struct Figures: Sendable {
        public var records = 0
        public var pages = 0
        public var imageReferences = 0
        public var sentences = 0
        /// Bytes of the records' blocks (for pages: the HTTP response with its HTML).
        public var blockBytes = 0
        public var seconds = 0.0
    }

    /// Reads every record of `path` and drops it.
    public static func read(_ path: String) throws -> Figures {
        try walk(path, processor: nil)
    }

    /// Reads and processes every record of `path` on the calling thread.
    public static func process(_ path: String, parser: HTMLParserChoice = .html5) throws -> Figures {
        try walk(path, processor: RecordProcessor(parser: parser))
    }

    /// The HTML pages of `path`, decoded to UTF-8 in memory, for the in-memory stages below.
    public static func pages(_ path: String) throws -> [(url: String, utf8: [UInt8])] {
        let reader = try reader(path)
        var pages: [(url: String, utf8: [UInt8])] = []
        while let event = reader.next() {
            guard case .record(let record) = event, record.type == "response", let url = record.targetURI,
                  case .success(let http) = HTTPResponse.parse(record.block), http.mediaType == "text/html" else { continue }
            pages.append((url, Charset.decode(http.body, httpCharset: http.charset).utf8))
        }
        return pages
    }

    /// The parser alone over pages in memory, the floor under extraction: curate's tokenizer into
    /// a sink that does nothing, or libxml2's parse with no callbacks.
    public static func parseOnly(_ pages: [(url: String, utf8: [UInt8])], parser: HTMLParserChoice = .html5) -> Double {
        switch parser {
        case .html5: seconds { for page in pages { HTMLExtractor.tokenizeOnly(page.utf8) } }
        case .libxml2: seconds { for page in pages { LibXML2Extractor.parseWithoutCallbacks(page.utf8) } }
        }
    }

    /// Extraction (parse, image references, sentences) over pages in memory.
    public static func extractOnly(_ pages: [(url: String, utf8: [UInt8])], parser: HTMLParserChoice = .html5) -> Double {
        let extractor = makePageExtractor(parser)
        return seconds { for page in pages { _ = extractor.extract(utf8: page.utf8, pageURL: WebURL(parsing: page.url)) } }
    }

    private static func walk(_ path: String, processor: RecordProcessor?) throws -> Figures {
        let reader = try self.reader(path)
        var figures = Figures()
        figures.seconds = seconds { walk(reader, processor, into: &figures) }
        return figures
    }

    private static func walk(_ reader: WARCReader, _ processor: RecordProcessor?, into figures: inout Figures) {
        while let event = reader.next() {
            guard case .record(let record) = event else { continue }
            figures.records += 1
            figures.blockBytes += record.block.count
            if let processor, case .page(let page) = processor.process(record) {
                figures.pages += 1
                figures.imageReferences += page.extracted.references.count
                figures.sentences += page.extracted.sentenceSpans.count
            }
        }
    }

    private static func reader(_ path: String) throws -> WARCReader {
        WARCReader(stream: try DumpStream(path: path), maxBlockBytes: CrawlOptions(inputs: [], workDirectory: "").maxRecordBytes)
    }

    private static func seconds(_ body: () -> Void) -> Double {
        let started = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
    }
}
