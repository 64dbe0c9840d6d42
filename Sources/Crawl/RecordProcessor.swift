import CurateCore
import Imaging

/// A page as it goes into the catalog.
struct PageResult {
    var url: String
    /// `WebURL.matchKey` of `url`.
    var urlKey: String?
    var path: String?
    var location: RecordLocation
    var httpStatus: Int?
    var payloadDigest: String?
    var charset: String
    var charsetSource: String
    var extracted: ExtractedPage
}

/// An image as it goes into the catalog: its header facts and hash, never its pixels.
struct ImageResult {
    var url: String?
    var path: String?
    var location: RecordLocation
    var via: String
    var payloadDigest: String?
    var sha256: String
    var format: String
    var width: Int
    var height: Int
    var bytes: Int
}

struct RevisitResult {
    var url: String
    /// The media type from the HTTP header fields the revisit record repeats, if any.
    var mediaType: String?
    var location: RecordLocation
    var refersTo: String?
    var refersToDate: String?
    var payloadDigest: String?
}

/// What curate fetch recorded for one URL in its `metadata` record (`application/warc-fields`
/// with `curate-fetch-*` fields; the Fetch target writes them).
struct FetchOutcomeRecord {
    var url: String
    var outcome: String
    var httpStatus: Int?
    var attempts: Int
    var redirects: Int
    var finalURL: String?
    var detail: String?
    var offset: Int64

    init?(_ record: WARCRecord, url: String) {
        guard record.field("Content-Type")?.lowercased().hasPrefix("application/warc-fields") == true,
              record.block.starts(with: "curate-fetch-outcome:".utf8) else { return nil }
        var fields: [String: String] = [:]
        for line in String(decoding: record.block, as: UTF8.self).split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            if fields[name] == nil { fields[name] = String(line[line.index(after: colon)...]).trimmingSpaces }
        }
        guard let outcome = fields["curate-fetch-outcome"], !outcome.isEmpty else { return nil }
        self.url = url
        self.outcome = outcome
        httpStatus = fields["curate-fetch-http-status"].flatMap { Int($0) }
        attempts = fields["curate-fetch-attempts"].flatMap { Int($0) } ?? 0
        redirects = fields["curate-fetch-redirects"].flatMap { Int($0) } ?? 0
        finalURL = fields["curate-fetch-final-url"]
        detail = fields["curate-fetch-detail"]
        offset = record.location.offset
    }
}

/// What one record (or mirrored file) became.
enum RecordOutcome {
    case page(PageResult)
    case image(ImageResult)
    case revisit(RevisitResult)
    case redirect(from: String, to: String, status: Int)
    /// A `metadata` record of curate fetch: what became of one URL.
    case fetchOutcome(FetchOutcomeRecord)
    case skipped(CrawlSkip)
    /// Read and not kept, counted under `name` (a request record, a stylesheet, a 404...).
    case other(String)
}

/// Turns records into outcomes: parses HTTP, decides page or image from the bytes, converts
/// charsets, extracts, hashes. One per worker thread (it owns an HTML extractor), which is
/// why it may cross threads: exactly one thread uses it at a time.
final class RecordProcessor: @unchecked Sendable {
    private let extractor: PageExtractor

    init(parser: HTMLParserChoice = .html5) {
        extractor = makePageExtractor(parser)
    }

    func process(_ record: WARCRecord) -> RecordOutcome {
        let offset = record.location.offset
        func skipped(_ r: CrawlSkipReason) -> RecordOutcome { .skipped(CrawlSkip(offset: offset, reason: r.reason, detail: r.detail)) }
        guard let uri = record.targetURI, !uri.isEmpty else {
            return record.type == "response" || record.type == "resource" ? .other("\(record.type)_without_uri") : .other(record.type.isEmpty ? "untyped" : record.type)
        }
        let digest = record.field("WARC-Payload-Digest")
        switch record.type {
        case "revisit":
            let http = record.block.starts(with: "HTTP/".utf8) ? try? HTTPResponse.parse(record.block).get() : nil
            return .revisit(RevisitResult(url: uri, mediaType: http?.mediaType, location: record.location, refersTo: record.field("WARC-Refers-To-Target-URI").map { $0.trimming("<>") },
                                          refersToDate: record.field("WARC-Refers-To-Date"), payloadDigest: digest))
        case "resource":
            let mediaType = record.field("Content-Type").map(MediaType.essence)
            return payload(record.block, url: uri, path: nil, location: record.location, status: nil, mediaType: mediaType,
                           charset: record.field("Content-Type").flatMap(MediaType.charset), digest: digest, via: "resource")
        case "response":
            let isHTTP = record.block.starts(with: "HTTP/".utf8)
            guard isHTTP else {
                // A response record that is not HTTP (dns:, or a bare body): treat the block as the payload.
                if let ct = record.field("Content-Type"), ct.lowercased().hasPrefix("application/http") { return skipped(.init(.malformedHTTP, "the block does not start with an HTTP status line")) }
                return payload(record.block, url: uri, path: nil, location: record.location, status: nil, mediaType: record.field("Content-Type").map(MediaType.essence),
                               charset: nil, digest: digest, via: "response")
            }
            switch HTTPResponse.parse(record.block) {
            case .failure(let r): return skipped(r)
            case .success(let http):
                if (300...399).contains(http.status), let location = http.field("Location"), let base = Optional(WebURL(parsing: uri)),
                   let target = WebURL.resolve(location, against: base) {
                    return .redirect(from: uri, to: target.text, status: http.status)
                }
                guard (200...299).contains(http.status) else { return .other("http_\(http.status / 100)xx") }
                return payload(http.body, url: uri, path: nil, location: record.location, status: http.status, mediaType: http.mediaType,
                               charset: http.charset, digest: digest, via: "response")
            }
        case "metadata":
            return FetchOutcomeRecord(record, url: uri).map { .fetchOutcome($0) } ?? .other("metadata")
        default:
            return .other(record.type.isEmpty ? "untyped" : record.type)
        }
    }

    /// Decides what a payload is from its bytes first (image magic numbers), then its media type.
    func payload(_ body: [UInt8], url: String, path: String?, location: RecordLocation, status: Int?, mediaType: String?,
                 charset: String?, digest: String?, via: String) -> RecordOutcome {
        if body.isEmpty { return .other("empty_payload") }
        let sniffed = body.withUnsafeBytes { ImageFormat.sniff($0) }
        if let format = sniffed {
            return body.withUnsafeBytes { raw in
                do {
                    let info = try ImageProbe.probe(raw)
                    return .image(ImageResult(url: url, path: path, location: location, via: via, payloadDigest: digest,
                                              sha256: ImageHash.sha256(raw), format: info.format.rawValue, width: info.width, height: info.height, bytes: body.count))
                } catch let error as ImagingError {
                    return .skipped(CrawlSkip(offset: location.offset, reason: error.reason, detail: "\(format.rawValue) image \(url): \(error)"))
                } catch {
                    return .skipped(CrawlSkip(offset: location.offset, reason: .corrupt, detail: "\(format.rawValue) image \(url): \(error)"))
                }
            }
        }
        let declaredHTML = mediaType == "text/html" || mediaType == "application/xhtml+xml"
        let looksHTML = Self.looksLikeHTML(body)
        if declaredHTML || (mediaType == nil || mediaType == "text/plain" || mediaType == "application/octet-stream") && looksHTML {
            if declaredHTML && Self.isBinary(body) {
                return .skipped(CrawlSkip(offset: location.offset, reason: .notHTML, detail: "\(url): labelled \(mediaType ?? "HTML") but the payload is binary"))
            }
            let decoded = Charset.decode(body, httpCharset: charset)
            let pageURL = WebURL(parsing: url)
            let extracted = extractor.extract(utf8: decoded.utf8, pageURL: pageURL)
            return .page(PageResult(url: url, urlKey: pageURL.matchKey, path: path, location: location, httpStatus: status, payloadDigest: digest,
                                    charset: decoded.charset, charsetSource: decoded.source, extracted: extracted))
        }
        return .other("payload_\(mediaType ?? "unknown")")
    }

    /// Markup near the start: `<!doctype html`, `<html`, `<head`, `<body`, or `<meta`/`<title` (case-insensitive).
    static func looksLikeHTML(_ body: [UInt8]) -> Bool {
        let head = Array(String(decoding: body.prefix(1024), as: UTF8.self).lowercased().utf8)
        return ["<!doctype html", "<html", "<head", "<body", "<title", "<meta"].contains { ByteSearch.contains(head, $0) }
    }

    /// NUL bytes in the first kilobyte, and no `<`: not a page in any charset a browser would read.
    static func isBinary(_ body: [UInt8]) -> Bool {
        let head = body.prefix(1024)
        let nulls = head.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
        if nulls == 0 { return false }
        let utf16 = head.count >= 2 && (head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF]))
        return !utf16
    }
}
