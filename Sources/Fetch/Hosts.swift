import AsyncHTTPClient
import Foundation
import NIOCore

/// Scheme, name and port: what robots.txt, politeness and a connection pool are kept per.
struct Origin: Hashable, Sendable, CustomStringConvertible {
    var scheme: String
    var host: String
    var port: Int

    init?(_ url: URL) {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host?.lowercased(), !host.isEmpty else { return nil }
        self.scheme = scheme
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = url.port ?? (scheme == "https" ? 443 : 80)
    }

    var description: String {
        let name = host.contains(":") ? "[\(host)]" : host
        let defaultPort = scheme == "https" ? 443 : 80
        return port == defaultPort ? "\(scheme)://\(name)" : "\(scheme)://\(name):\(port)"
    }
}

/// How requests to one origin travel: straight to an address that passed the checks (the
/// client's DNS override pins it, so the checked address is the one connected to), or through
/// a proxy (which resolves the name itself). `failed` carries the reason every URL of the
/// origin gets.
enum Route: Sendable {
    case direct(client: HTTPClient, address: IPAddress)
    case proxy(client: HTTPClient, address: String)
    case failed(reason: String, detail: String)
}

/// What robots.txt said for an origin.
enum RobotsState: Sendable {
    case rules(RobotsRules)
    case unavailable(reason: String, detail: String)
}

/// One origin's state: its route, its robots.txt (fetched once, by the first URL that needs
/// it; the others wait for that fetch), and its politeness slots.
actor Host {
    let origin: Origin
    private var route: Task<Route, Never>?
    private var robots: Task<(RobotsState, [UInt8]), Never>?
    private var inFlight = 0
    private var nextStart = ContinuousClock.now
    private var delay: Duration
    private let perHost: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    private let maxCrawlDelay: Double

    init(origin: Origin, perHost: Int, delay: Double, maxCrawlDelay: Double) {
        self.origin = origin
        self.perHost = max(1, perHost)
        self.delay = .milliseconds(Int(delay * 1000))
        self.maxCrawlDelay = maxCrawlDelay
    }

    func route(_ make: @escaping @Sendable () async -> Route) async -> Route {
        if let route { return await route.value }
        let task = Task { await make() }
        route = task
        return await task.value
    }

    /// The robots state and, the first time only, the WARC records of its fetch (to write once).
    func robots(_ fetch: @escaping @Sendable () async -> (RobotsState, [UInt8])) async -> (RobotsState, [UInt8]) {
        if let robots { return (await robots.value.0, []) }
        let task = Task { await fetch() }
        robots = task
        let value = await task.value
        if case .rules(let rules) = value.0, let crawlDelay = rules.crawlDelay { raiseDelay(crawlDelay) }
        return value
    }

    private func raiseDelay(_ seconds: Double) {
        let wanted = Duration.milliseconds(Int(min(max(0, seconds), maxCrawlDelay) * 1000))
        if wanted > delay { delay = wanted }
    }

    /// Waits for a slot: fewer than `perHost` requests in flight, and `delay` since the last
    /// start. The start time is reserved before sleeping, so waiters space out.
    func acquire() async {
        while inFlight >= perHost {
            await withCheckedContinuation { waiters.append($0) }
        }
        inFlight += 1
        let now = ContinuousClock.now
        let start = max(now, nextStart)
        nextStart = start + delay
        if start > now { try? await Task.sleep(until: start, clock: .continuous) }
    }

    func release() {
        inFlight -= 1
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    /// The client this origin's route made, to shut down at the end.
    func client() async -> HTTPClient? {
        guard let route else { return nil }
        switch await route.value {
        case .direct(let client, _), .proxy(let client, _): return client
        case .failed: return nil
        }
    }
}

/// Every origin met so far.
actor HostTable {
    private var hosts: [Origin: Host] = [:]
    private let perHost: Int
    private let delay: Double
    private let maxCrawlDelay: Double

    init(perHost: Int, delay: Double, maxCrawlDelay: Double) {
        self.perHost = perHost
        self.delay = delay
        self.maxCrawlDelay = maxCrawlDelay
    }

    func host(_ origin: Origin) -> Host {
        if let host = hosts[origin] { return host }
        let host = Host(origin: origin, perHost: perHost, delay: delay, maxCrawlDelay: maxCrawlDelay)
        hosts[origin] = host
        return host
    }

    func all() -> [Host] { Array(hosts.values) }
}
