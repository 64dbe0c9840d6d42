import CurateCore

/// Why crawl-dump cannot go on at all (a bad record is a `CrawlSkip`, never an error).
public enum CrawlError: Error, CustomStringConvertible, Sendable {
    case unreadable(path: String, message: String)
    case notADump(path: String)
    case catalog(String)
    /// A unit's files (offers, wants, imports) are not what this version writes.
    case unit(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let message):
            "\(path): cannot be read (\(message)); check the path and its permissions"
        case .notADump(let path):
            "\(path): neither a WARC file (.warc, .warc.gz) nor a folder of WARC files or of a wget --mirror; pass one of those"
        case .catalog(let message):
            "catalog: \(message)"
        case .unit(let message):
            "unit: \(message)"
        }
    }
}

extension DropReason {
    // Reading dumps (crawl-dump). Each is counted as dropped.<reason> and stored with its byte offset.
    /// A record header without a `WARC/` version line, a blank line, or a valid Content-Length.
    public static let malformedWARCHeader = DropReason("malformed_warc_header")
    /// A gzip member that does not inflate; the reader goes on at the next member.
    public static let badGzip = DropReason("bad_gzip")
    /// A response or resource record whose block is above the size limit.
    public static let recordTooLarge = DropReason("record_too_large")
    /// An HTTP response whose status line or headers cannot be parsed.
    public static let malformedHTTP = DropReason("malformed_http")
    /// A Content-Encoding curate does not decode (brotli, zstd, compress).
    public static let unsupportedEncoding = DropReason("unsupported_encoding")
    /// A gzip or deflate Content-Encoding whose body does not inflate.
    public static let badContentEncoding = DropReason("bad_content_encoding")
    /// A payload labelled HTML that is binary (NUL bytes, no markup).
    public static let notHTML = DropReason("not_html")
    /// A file in a dump folder that is not a WARC file (it is listed, not read).
    public static let notAWARC = DropReason("not_a_warc")
}
