import CurateCore

/// What `curate fetch` is asked to do, with the defaults a polite crawler uses. The runs table
/// records it, and every file's `warcinfo` record names it.
public struct FetchOptions: Sendable, Codable, Equatable {
    /// Sent with every request, and the product token robots.txt groups are matched against
    /// (its first word, before the `/`).
    public var userAgent: String
    /// Requests in flight at once, over all hosts.
    public var connections = 64
    /// Requests in flight at once to one host (scheme, name and port).
    public var perHost = 4
    /// Seconds between the starts of two requests to one host (a robots.txt `Crawl-delay` up
    /// to `maxCrawlDelay` raises it).
    public var hostDelay = 0.1
    public var maxCrawlDelay = 10.0
    /// Time limits of one attempt: the TCP (and TLS) connection, a read that brings nothing
    /// (the headers, or the body stalling), and the whole response.
    public var connectTimeout = 10.0
    public var readTimeout = 20.0
    public var totalTimeout = 60.0
    /// The largest body kept, checked while it arrives (and against Content-Length before).
    public var maxBytes = 32 << 20
    /// Attempts per URL: a 429, 5xx, timeout or reset is tried again after a backoff (doubling
    /// from `retryDelay`), or after the server's Retry-After when it says one no longer than
    /// `maxRetryAfter`.
    public var attempts = 3
    public var retryDelay = 1.0
    public var maxRetryAfter = 60.0
    public var maxRedirects = 5
    public var obeyRobots = true
    /// img2dataset's default `disallowed_header_directives`: an X-Robots-Tag holding one of them
    /// (for every agent, or for ours) opts the image out.
    public var optOutDirectives = ["noai", "noimageai", "noindex", "noimageindex"]
    public var allowPrivateAddresses = false
    public var resolve: [ResolveEntry] = []
    public var proxies = ProxySettings()
    /// A WARC file is closed once it holds this many bytes.
    public var warcFileBytes = 1 << 30
    /// At most this many URLs this run (nil: all).
    public var limit: Int?
    /// Rounds of a run: the first fetches each missing reference's best URL, each next one the
    /// next candidate (a srcset's other sizes) of the references still missing.
    public var rounds = 3

    public static let defaultUserAgent = "curate/\(CurateVersion.string) (image-text dataset curation; +https://github.com/curate-project/curate)"

    public init(userAgent: String = FetchOptions.defaultUserAgent) {
        self.userAgent = userAgent
    }

    /// The token robots.txt's `User-agent` lines are compared with.
    public var robotsToken: String {
        String(userAgent.split(separator: "/", maxSplits: 1).first ?? "curate").split(separator: " ").first.map(String.init)?.lowercased() ?? "curate"
    }

    /// What the warcinfo record says about the run.
    public var warcinfo: [(String, String)] {
        var fields: [(String, String)] = [
            ("software", "curate/\(CurateVersion.string) fetch"),
            ("format", "WARC File Format 1.1"),
            ("conformsTo", "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"),
            ("http-header-user-agent", userAgent),
            ("robots", obeyRobots ? "obey" : "ignore"),
            ("curate-fetch-connections", "\(connections)"),
            ("curate-fetch-per-host", "\(perHost)"),
            ("curate-fetch-host-delay", "\(hostDelay)"),
            ("curate-fetch-timeouts", "connect \(connectTimeout) s, read \(readTimeout) s, total \(totalTimeout) s"),
            ("curate-fetch-max-bytes", "\(maxBytes)"),
            ("curate-fetch-attempts", "\(attempts)"),
            ("curate-fetch-max-redirects", "\(maxRedirects)"),
            ("curate-fetch-opt-out", optOutDirectives.joined(separator: ",")),
            ("curate-fetch-private-addresses", allowPrivateAddresses ? "allowed" : "refused"),
        ]
        for entry in resolve { fields.append(("curate-fetch-resolve", "\(entry.host):\(entry.port):\(entry.address)")) }
        if let http = proxies.http { fields.append(("curate-fetch-http-proxy", http)) }
        if let https = proxies.https { fields.append(("curate-fetch-https-proxy", https)) }
        return fields
    }
}

/// Why a URL yielded no image, as the catalog, the summary and the report name it. HTTP
/// statuses are `http_NNN`; `ok` is the one success.
public enum FetchReason {
    public static let ok = "ok"
    public static let timeout = "timeout"
    public static let tooLarge = "too_large"
    public static let notAnImage = "not_an_image"
    public static let robotsDisallowed = "robots_disallowed"
    public static let robotsUnavailable = "robots_unavailable"
    public static let optedOut = "opted_out"
    public static let dnsFailed = "dns_failed"
    public static let connectionRefused = "connection_refused"
    public static let connectionReset = "connection_reset"
    public static let truncated = "truncated"
    public static let redirectLoop = "redirect_loop"
    public static let tooManyRedirects = "too_many_redirects"
    public static let privateAddress = "private_address"
    public static let badURL = "bad_url"
    public static let badContentEncoding = "bad_content_encoding"
    public static let tlsFailed = "tls_failed"
    public static let proxyFailed = "proxy_failed"
    public static let failed = "failed"

    public static func http(_ status: Int) -> String { "http_\(status)" }
}
