import AsyncHTTPClient
import CurateCore
import Foundation
import Imaging
import NIOCore
import NIOHTTP1
import NIOPosix
import Zlib

/// What became of one URL: its outcome and the WARC records that tell it (the exchanges that
/// reached the image, redirects included, then a `metadata` record with the outcome; a URL
/// that failed has the metadata record alone, holding the status and header fields it got).
public struct FetchResult: Sendable {
    public var url: String
    public var outcome: String
    public var httpStatus: Int?
    public var attempts = 0
    public var redirects = 0
    public var finalURL: String
    public var detail = ""
    public var bytes = 0
    public var members: [UInt8] = []
}

/// What `curate fetch` reports: URLs by outcome, bytes, time.
public struct FetchSummary: Codable, Sendable, Equatable {
    public var urls = 0
    public var images = 0
    public var outcomes: [String: Int] = [:]
    public var bytes: Int64 = 0
    public var seconds = 0.0
    public var files: [String] = []

    public init() {}

    public mutating func add(_ result: FetchResult) {
        urls += 1
        outcomes[result.outcome, default: 0] += 1
        if result.outcome == FetchReason.ok { images += 1; bytes += Int64(result.bytes) }
    }
}

/// curate fetch's engine: URLs in, WARC records out. Requests run on swift-nio's event loops
/// through AsyncHTTPClient (one client per origin, its DNS pinned to the address that passed
/// the checks); at most `connections` URLs are in flight, and each origin's `Host` keeps
/// `perHost` and `hostDelay`. Results are written by the caller of `run`, one URL at a time.
public final class Fetcher: Sendable {
    public let options: FetchOptions
    private let group: MultiThreadedEventLoopGroup
    private let hosts: HostTable
    private let resolve: [String: ResolveEntry]

    public init(options: FetchOptions) {
        self.options = options
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        hosts = HostTable(perHost: options.perHost, delay: options.hostDelay, maxCrawlDelay: options.maxCrawlDelay)
        var pinned: [String: ResolveEntry] = [:]
        for entry in options.resolve { pinned["\(entry.host):\(entry.port)"] = entry }
        resolve = pinned
    }

    /// Fetches every URL `next` gives (in batches; nil at the end), handing each result to
    /// `write` as it completes. Returns when every URL is done; hosts' robots.txt and routes
    /// stay for the next call. Call `shutdown` once at the end.
    public func run(next: () throws -> [String]?, write: (FetchResult) throws -> Void) async throws {
        try await withThrowingTaskGroup(of: FetchResult.self) { tasks in
            var inFlight = 0
            while let batch = try next() {
                for url in batch {
                    if inFlight >= max(1, options.connections), let result = try await tasks.next() {
                        try write(result)
                        inFlight -= 1
                    }
                    tasks.addTask { await self.fetch(url) }
                    inFlight += 1
                }
            }
            while let result = try await tasks.next() { try write(result) }
        }
    }

    /// Closes every client's connections and the event loop.
    public func shutdown() async {
        for host in await hosts.all() {
            if let client = await host.client() { try? await client.shutdown() }
        }
        try? await group.shutdownGracefully()
    }

    // MARK: one URL

    /// Follows one URL to its image or its failure, with the checks, robots, retries and
    /// redirects, and builds its records.
    func fetch(_ start: String) async -> FetchResult {
        var result = FetchResult(url: start, outcome: FetchReason.failed, finalURL: start)
        var current = start
        var visited: Set<String> = [start]
        var lastHead: (status: Int, fields: [(String, String)])?
        var responseID: String?

        func finish(_ outcome: String, _ detail: String) -> FetchResult {
            result.outcome = outcome
            result.detail = detail
            result.finalURL = current
            var fields: [(String, String)] = [("curate-fetch-outcome", outcome), ("curate-fetch-attempts", "\(result.attempts)"),
                                              ("curate-fetch-redirects", "\(result.redirects)"), ("curate-fetch-final-url", current)]
            if let status = result.httpStatus { fields.append(("curate-fetch-http-status", "\(status)")) }
            if !detail.isEmpty { fields.append(("curate-fetch-detail", detail)) }
            if outcome != FetchReason.ok, let head = lastHead {
                // The fields of a response not kept: why it was refused stays readable.
                for (name, value) in head.fields.prefix(40) { fields.append(("curate-fetch-http-header", "\(name): \(value)")) }
            }
            var extra: [(String, String)] = []
            if let responseID { extra.append(("WARC-Refers-To", responseID)) }
            result.members += WARCMember.member(type: "metadata", uri: start, date: Date(), fields: extra,
                                                contentType: "application/warc-fields", block: WARCMember.fields(fields))
            return result
        }

        while true {
            guard let url = URL(string: current), let origin = Origin(url) else {
                return finish(FetchReason.badURL, "not an http(s) URL with a host: \(current)")
            }
            let pinned = resolve["\(origin.host):\(origin.port)"]
            if pinned == nil, !options.allowPrivateAddresses, let literal = IPAddress(origin.host), literal.isPrivate {
                return finish(FetchReason.privateAddress, "\(literal) is a private, loopback or link-local address (--allow-private-addresses reaches it)")
            }
            let host = await hosts.host(origin)
            let route = await host.route { await self.makeRoute(origin, pinned: pinned) }
            if case .failed(let reason, let detail) = route { return finish(reason, detail) }
            if let outcome = await step(route, host: host, url: url, origin: origin, result: &result, current: &current, visited: &visited,
                                        lastHead: &lastHead, responseID: &responseID) {
                return finish(outcome.reason, outcome.detail)
            }
        }
    }

    /// One request of a URL's chain: robots, politeness, the exchange and what its answer means.
    /// Returns the outcome when the chain ends, nil when it goes on (a redirect, a retry).
    private func step(_ route: Route, host: Host, url: URL, origin: Origin, result: inout FetchResult, current: inout String,
                      visited: inout Set<String>, lastHead: inout (status: Int, fields: [(String, String)])?,
                      responseID: inout String?) async -> (reason: String, detail: String)? {
        let target = requestTarget(url)
        if options.obeyRobots {
            let (state, records) = await host.robots { await self.fetchRobots(origin, route: route) }
            result.members += records
            switch state {
            case .unavailable(let reason, let detail): return (reason, "robots.txt of \(origin): \(detail)")
            case .rules(let rules) where !rules.allows(target): return (FetchReason.robotsDisallowed, "\(origin)/robots.txt disallows \(target) for \(options.robotsToken)")
            case .rules: break
            }
        }
        await host.acquire()
        result.attempts += 1
        let exchange = await self.exchange(route, url: url, origin: origin, target: target, maxBytes: options.maxBytes, checkOptOut: true)
        await host.release()
        switch exchange {
        case .failed(let reason, let detail):
            let retryable = reason == FetchReason.timeout || reason == FetchReason.connectionReset || reason == FetchReason.truncated
            if retryable && result.attempts < options.attempts {
                try? await Task.sleep(for: .milliseconds(Int(backoff(result.attempts) * 1000)))
                return nil
            }
            return (reason, detail)
        case .response(let response):
            result.httpStatus = response.status
            lastHead = (response.status, response.fields)
            if let directives = response.optOut { return (FetchReason.optedOut, "X-Robots-Tag: \(directives)") }
            if (300...399).contains(response.status), let location = response.field("Location") {
                guard let next = URL(string: location, relativeTo: url)?.absoluteURL.absoluteString else {
                    return (FetchReason.badURL, "redirect to an unusable Location: \(location)")
                }
                result.members += response.records
                result.redirects += 1
                if visited.contains(next) { return (FetchReason.redirectLoop, "\(current) redirects back to \(next)") }
                if result.redirects > options.maxRedirects { return (FetchReason.tooManyRedirects, "more than \(options.maxRedirects) redirects") }
                visited.insert(next)
                current = next
                return nil
            }
            if [429, 500, 502, 503, 504].contains(response.status) && result.attempts < options.attempts {
                var wait = backoff(result.attempts)
                if let after = response.field("Retry-After").flatMap(Self.retryAfterSeconds) {
                    guard after <= options.maxRetryAfter else {
                        return (FetchReason.http(response.status), "Retry-After \(Int(after)) s is past --max-retry-after \(Int(options.maxRetryAfter)) s")
                    }
                    wait = max(wait, after)
                }
                try? await Task.sleep(for: .milliseconds(Int(wait * 1000)))
                return nil
            }
            guard (200...299).contains(response.status) else { return (FetchReason.http(response.status), "") }
            guard let decoded = response.decodedBody(limit: options.maxBytes) else {
                return (FetchReason.badContentEncoding, "Content-Encoding \(response.field("Content-Encoding") ?? "") does not decode within \(options.maxBytes) bytes")
            }
            do {
                _ = try decoded.withUnsafeBytes { try ImageProbe.probe($0) }
            } catch {
                return (FetchReason.notAnImage, "\(response.field("Content-Type") ?? "no Content-Type"), \(decoded.count) bytes: \(error)")
            }
            result.members += response.records
            responseID = response.responseID
            result.bytes = response.body.count
            return (FetchReason.ok, "")
        }
    }

    func backoff(_ attempt: Int) -> Double { options.retryDelay * pow(2, Double(max(0, attempt - 1))) }

    /// Retry-After as seconds, or as an HTTP date from now.
    static func retryAfterSeconds(_ value: String) -> Double? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(text) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return max(0, date.timeIntervalSinceNow)
    }

    func requestTarget(_ url: URL) -> String {
        var path = url.path(percentEncoded: true)
        if path.isEmpty { path = "/" }
        if let query = url.query(percentEncoded: true) { path += "?" + query }
        return path
    }

    // MARK: routes

    /// Resolves an origin once: a proxy when one applies, else its address (pinned by
    /// --resolve, or from DNS and checked against the private ranges), then its client.
    func makeRoute(_ origin: Origin, pinned: ResolveEntry?) async -> Route {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(Int64(options.connectTimeout * 1000)), read: .milliseconds(Int64(options.readTimeout * 1000))),
            connectionPool: .init(idleTimeout: .seconds(10), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, options.perHost)),
            decompression: .disabled)
        configuration.httpVersion = .http1Only
        if pinned == nil, let proxy = options.proxies.proxy(scheme: origin.scheme, host: origin.host) {
            configuration.proxy = .server(host: proxy.host, port: proxy.port)
            return .proxy(client: HTTPClient(eventLoopGroup: group, configuration: configuration), address: proxy.host)
        }
        let address: IPAddress
        if let pinned, let pinnedAddress = IPAddress(pinned.address) {
            address = pinnedAddress
        } else if let literal = IPAddress(origin.host) {
            address = literal
        } else {
            do {
                let found = try await Resolver.addresses(of: origin.host, timeout: options.connectTimeout)
                guard let first = found.first else { return .failed(reason: FetchReason.dnsFailed, detail: "\(origin.host) has no address") }
                if !options.allowPrivateAddresses, let bad = found.first(where: \.isPrivate) {
                    // One private answer among public ones is how DNS rebinding starts: refuse the name.
                    return .failed(reason: FetchReason.privateAddress, detail: "\(origin.host) resolves to \(bad), a private, loopback or link-local address")
                }
                address = first
            } catch Resolver.Failure.timedOut {
                return .failed(reason: FetchReason.dnsFailed, detail: "\(origin.host): no DNS answer within \(options.connectTimeout) s")
            } catch Resolver.Failure.notFound(let message) {
                return .failed(reason: FetchReason.dnsFailed, detail: "\(origin.host): \(message)")
            } catch {
                return .failed(reason: FetchReason.dnsFailed, detail: "\(origin.host): \(error)")
            }
            if !options.allowPrivateAddresses && address.isPrivate {
                return .failed(reason: FetchReason.privateAddress, detail: "\(origin.host) resolves to \(address)")
            }
        }
        if IPAddress(origin.host) == nil { configuration.dnsOverride = [origin.host: address.description] }
        return .direct(client: HTTPClient(eventLoopGroup: group, configuration: configuration), address: address)
    }

    // MARK: robots.txt

    /// robots.txt of an origin, fetched once through the same checks (RFC 9309: 2xx is parsed,
    /// 4xx allows everything, 5xx and network failures disallow everything; redirects followed
    /// up to five), with its request and response records.
    func fetchRobots(_ origin: Origin, route: Route) async -> (RobotsState, [UInt8]) {
        guard let url = URL(string: "\(origin)/robots.txt") else { return (.rules(.allowAll), []) }
        var current = url, records: [UInt8] = []
        for _ in 0...5 {
            guard let currentOrigin = Origin(current) else { return (.rules(.allowAll), records) }
            let currentRoute: Route
            if currentOrigin == origin {
                currentRoute = route
            } else {
                let host = await hosts.host(currentOrigin)
                currentRoute = await host.route { await self.makeRoute(currentOrigin, pinned: self.resolve["\(currentOrigin.host):\(currentOrigin.port)"]) }
            }
            if case .failed(let reason, let detail) = currentRoute { return (.unavailable(reason: reason, detail: detail), records) }
            var exchange = Exchange.failed(reason: FetchReason.failed, detail: "")
            for attempt in 1...max(1, options.attempts) {
                exchange = await self.exchange(currentRoute, url: current, origin: currentOrigin, target: requestTarget(current), maxBytes: 500 * 1024, checkOptOut: false, truncateAtLimit: true)
                guard case .failed(let reason, _) = exchange, reason == FetchReason.timeout || reason == FetchReason.connectionReset, attempt < options.attempts else { break }
                try? await Task.sleep(for: .milliseconds(Int(backoff(attempt) * 1000)))
            }
            switch exchange {
            case .failed(let reason, let detail):
                return (.unavailable(reason: reason, detail: detail), records)
            case .response(let response):
                records += response.records
                if (300...399).contains(response.status), let location = response.field("Location"), let next = URL(string: location, relativeTo: current)?.absoluteURL {
                    current = next
                    continue
                }
                if (200...299).contains(response.status) {
                    let body = response.decodedBody(limit: 500 * 1024) ?? response.body
                    return (.rules(RobotsRules(parsing: String(decoding: body, as: UTF8.self), agent: options.robotsToken)), records)
                }
                if (400...499).contains(response.status) { return (.rules(.allowAll), records) }
                return (.unavailable(reason: FetchReason.robotsUnavailable, detail: "HTTP \(response.status)"), records)
            }
        }
        return (.unavailable(reason: FetchReason.robotsUnavailable, detail: "more than 5 redirects"), records)
    }

    // MARK: one exchange

    /// A response as the WARC records and the checks need it.
    struct Response: Sendable {
        var status: Int
        var fields: [(String, String)]
        var body: [UInt8]
        var records: [UInt8]
        var responseID: String
        var optOut: String?

        func field(_ name: String) -> String? {
            fields.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
        }

        func decodedBody(limit: Int) -> [UInt8]? {
            guard let coding = field("Content-Encoding")?.lowercased().trimmingCharacters(in: .whitespaces), !coding.isEmpty, coding != "identity" else { return body }
            switch coding {
            case "gzip", "x-gzip": return Zlib.inflateContent(body, deflate: false, limit: limit)
            case "deflate": return Zlib.inflateContent(body, deflate: true, limit: limit)
            default: return nil
            }
        }
    }

    enum Exchange: Sendable {
        case response(Response)
        case failed(reason: String, detail: String)
    }

    /// One GET: the body read up to `maxBytes` (past it: `too_large`, or cut there for
    /// robots.txt), an opt-out seen in the header fields stops before the body.
    func exchange(_ route: Route, url: URL, origin: Origin, target: String, maxBytes: Int, checkOptOut: Bool,
                  truncateAtLimit: Bool = false) async -> Exchange {
        let client: HTTPClient, address: String
        switch route {
        case .direct(let c, let a): (client, address) = (c, a.description)
        case .proxy(let c, let a): (client, address) = (c, a)
        case .failed(let reason, let detail): return .failed(reason: reason, detail: detail)
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .GET
        let hostField = origin.description.dropFirst(origin.scheme.count + 3)
        let sent: [(String, String)] = [("Host", String(hostField)), ("User-Agent", options.userAgent),
                                        ("Accept", "image/avif,image/webp,image/png,image/jpeg,image/gif,image/*;q=0.8,*/*;q=0.5"),
                                        ("Accept-Encoding", "gzip, deflate")]
        for (name, value) in sent.dropFirst() { request.headers.add(name: name, value: value) }
        let started = Date()
        let deadline = NIODeadline.now() + .milliseconds(Int64(options.totalTimeout * 1000))
        let limit = ContinuousClock.now + .milliseconds(Int(options.totalTimeout * 1000))
        do {
            let response = try await client.execute(request, deadline: deadline)
            let fields = response.headers.map { ($0.name, $0.value) }
            let status = Int(response.status.code)
            var optOut: String?
            if checkOptOut { optOut = Self.optOut(fields, directives: options.optOutDirectives, agent: options.robotsToken) }
            var body: [UInt8] = []
            if optOut == nil {
                if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > maxBytes, !truncateAtLimit {
                    return .failed(reason: FetchReason.tooLarge, detail: "Content-Length \(length) is past --max-bytes \(maxBytes)")
                }
                for try await chunk in response.body {
                    // The client's deadline covers the head; a body that trickles in (each read
                    // within the read timeout) is stopped here, at most one read after the limit.
                    if ContinuousClock.now > limit {
                        return .failed(reason: FetchReason.timeout, detail: "the response took longer than \(options.totalTimeout) s")
                    }
                    if body.count + chunk.readableBytes > maxBytes {
                        if truncateAtLimit { body += chunk.readableBytesView.prefix(maxBytes - body.count); break }
                        return .failed(reason: FetchReason.tooLarge, detail: "the body passed --max-bytes \(maxBytes) while it arrived")
                    }
                    body += chunk.readableBytesView
                }
            }
            let requestID = WARCMember.newID(), responseID = WARCMember.newID()
            var records: [UInt8] = []
            if optOut == nil {
                let requestBlock = Array(("GET \(target) HTTP/1.1\r\n" + sent.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n").utf8)
                // The body is stored as it came, content coding and all, but de-chunked by the
                // client: the field is renamed, as Common Crawl does, so readers do not de-chunk again.
                let stored = fields.map { $0.0.caseInsensitiveCompare("Transfer-Encoding") == .orderedSame ? ("X-Crawler-Transfer-Encoding", $0.1) : $0 }
                let statusLine = "HTTP/\(response.version.major).\(response.version.minor) \(status) \(response.status.reasonPhrase)\r\n"
                let responseBlock = Array((statusLine + stored.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n").utf8) + body
                let ip = [("WARC-IP-Address", address)]
                records += WARCMember.member(type: "request", uri: url.absoluteString, date: started, id: requestID,
                                             fields: [("WARC-Concurrent-To", responseID)] + ip, contentType: "application/http; msgtype=request", block: requestBlock)
                records += WARCMember.member(type: "response", uri: url.absoluteString, date: started, id: responseID,
                                             fields: ip + [("WARC-Payload-Digest", WARCMember.sha1(body))], contentType: "application/http; msgtype=response", block: responseBlock)
            }
            return .response(Response(status: status, fields: fields, body: body, records: records, responseID: responseID, optOut: optOut))
        } catch {
            return Self.failure(error, options: options)
        }
    }

    /// The opt-out directives an X-Robots-Tag names for every agent or for ours (img2dataset's rule).
    static func optOut(_ fields: [(String, String)], directives: [String], agent: String) -> String? {
        for (name, value) in fields where name.caseInsensitiveCompare("X-Robots-Tag") == .orderedSame {
            var scope: String?
            var text = value
            if let colon = value.firstIndex(of: ":") {
                let head = value[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                if !head.contains(",") && !head.contains(" ") && !directives.contains(head) { scope = head; text = String(value[value.index(after: colon)...]) }
            }
            if let scope, scope != agent && scope != "*" { continue }
            let named = text.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if named.contains(where: directives.contains) { return value }
        }
        return nil
    }

    /// An error of the client or of the connection, named.
    static func failure(_ error: Error, options: FetchOptions) -> Exchange {
        if let client = error as? HTTPClientError {
            switch client {
            case .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
                return .failed(reason: FetchReason.timeout, detail: "no connection within \(options.connectTimeout) s")
            case .readTimeout: return .failed(reason: FetchReason.timeout, detail: "nothing received for \(options.readTimeout) s")
            case .deadlineExceeded: return .failed(reason: FetchReason.timeout, detail: "the response took longer than \(options.totalTimeout) s")
            case .remoteConnectionClosed: return .failed(reason: FetchReason.truncated, detail: "the server closed the connection before the response was whole")
            case .invalidURL, .emptyHost, .emptyScheme: return .failed(reason: FetchReason.badURL, detail: "\(client)")
            case .invalidProxyResponse, .proxyAuthenticationRequired, .httpProxyHandshakeTimeout:
                return .failed(reason: FetchReason.proxyFailed, detail: "\(client)")
            default: break
            }
        }
        let text = String(describing: error)
        if let parser = error as? HTTPParserError {
            if case .invalidEOFState = parser { return .failed(reason: FetchReason.truncated, detail: "the connection closed before the body's Content-Length was reached") }
            return .failed(reason: FetchReason.failed, detail: "the response is not valid HTTP/1.1: \(parser)")
        }
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNRESET, EPIPE: return .failed(reason: FetchReason.connectionReset, detail: text)
            case ECONNREFUSED: return .failed(reason: FetchReason.connectionRefused, detail: text)
            default: break
            }
        }
        if text.contains("connectTimeout") { return .failed(reason: FetchReason.timeout, detail: "no connection within \(options.connectTimeout) s") }
        if text.contains("ECONNREFUSED") || text.contains("Connection refused") { return .failed(reason: FetchReason.connectionRefused, detail: text) }
        if text.contains("ECONNRESET") || text.contains("Connection reset") { return .failed(reason: FetchReason.connectionReset, detail: text) }
        if text.contains("invalidEOFState") || text.contains("bodyLengthMismatch") { return .failed(reason: FetchReason.truncated, detail: text) }
        if text.contains("SSL") || text.contains("TLS") || text.contains("certificate") { return .failed(reason: FetchReason.tlsFailed, detail: text) }
        return .failed(reason: FetchReason.failed, detail: text)
    }
}
