import Foundation

/// An IPv4 or IPv6 address, as text and as bytes (4 or 16).
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// Parses a literal address (dotted IPv4, or IPv6 with or without brackets); nil otherwise.
    public init?(_ text: String) {
        var literal = text
        if literal.hasPrefix("[") && literal.hasSuffix("]") { literal = String(literal.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, literal, &v4) == 1 {
            bytes = withUnsafeBytes(of: v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, literal, &v6) == 1 {
            bytes = withUnsafeBytes(of: v6) { Array($0) }
            return
        }
        return nil
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    public var isIPv4: Bool { bytes.count == 4 }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = isIPv4 ? AF_INET : AF_INET6
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The IPv4 address an IPv6 one carries: IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible
    /// (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach the IPv4 host, so they are judged as it is.
    var embeddedIPv4: IPAddress? {
        guard bytes.count == 16 else { return nil }
        let head = Array(bytes[0..<12])
        let mapped: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]
        let nat64: [UInt8] = [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]
        let compatible = head.allSatisfy { $0 == 0 } && !(bytes[12] == 0 && bytes[13] == 0 && bytes[14] == 0 && bytes[15] <= 1)
        return head == mapped || head == nat64 || compatible ? IPAddress(bytes: Array(bytes[12..<16])) : nil
    }

    /// Whether the address is one a crawl of the public web has no business reaching: private
    /// (RFC 1918, fc00::/7), loopback, link-local (where the cloud metadata services answer:
    /// 169.254.169.254, fe80::/10), carrier-grade NAT (100.64/10, Alibaba's metadata address),
    /// "this network" (0/8, ::), multicast, reserved and broadcast ranges.
    public var isPrivate: Bool {
        if let v4 = embeddedIPv4 { return v4.isPrivate }
        let b = bytes
        if b.count == 4 {
            return b[0] == 0 || b[0] == 10 || b[0] == 127 || b[0] >= 224
                || (b[0] == 100 && b[1] & 0xC0 == 64)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 172 && b[1] & 0xF0 == 16)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)
                || (b[0] == 198 && b[1] & 0xFE == 18)
        }
        let zero = b.allSatisfy { $0 == 0 }
        let loopback = b[0..<15].allSatisfy { $0 == 0 } && b[15] == 1
        return zero || loopback || b[0] & 0xFE == 0xFC || (b[0] == 0xFE && b[1] & 0xC0 == 0x80) || b[0] == 0xFF
    }
}

/// curl's `--resolve HOST:PORT:ADDRESS`: connections to HOST on PORT go to ADDRESS, without DNS.
/// An address pinned this way is the user's own choice, so it is reached even when private.
public struct ResolveEntry: Sendable, Hashable, Codable {
    public var host: String
    public var port: Int
    public var address: String

    public init(host: String, port: Int, address: String) {
        self.host = host.lowercased()
        self.port = port
        self.address = address
    }

    /// Parses `HOST:PORT:ADDRESS` (an IPv6 address may be bracketed); nil when it is not that.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, let port = Int(parts[1]), (1...65535).contains(port),
              IPAddress(String(parts[2])) != nil else { return nil }
        self.init(host: String(parts[0]), port: port, address: String(parts[2]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")))
    }
}

/// Where a name's addresses come from: getaddrinfo, on threads of its own (it blocks), with a
/// time limit (a resolver that does not answer must not hold a fetch past its limits).
enum Resolver {
    private static let queue = DispatchQueue(label: "curate.fetch.resolver", attributes: .concurrent)

    enum Failure: Error { case notFound(String), timedOut }

    /// The addresses of `host`, IPv4 first (the order getaddrinfo gives within a family).
    static func addresses(of host: String, timeout: Double) async throws -> [IPAddress] {
        let box = ResolveBox()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[IPAddress], Error>) in
            box.set(continuation)
            queue.async { box.finish(lookup(host)) }
            queue.asyncAfter(deadline: .now() + timeout) { box.finish(.failure(Failure.timedOut)) }
        }
    }

    private static func lookup(_ host: String) -> Result<[IPAddress], Error> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(host, nil, &hints, &list)
        guard code == 0, let first = list else { return .failure(Failure.notFound(String(cString: gai_strerror(code)))) }
        defer { freeaddrinfo(first) }
        var found: [IPAddress] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let current = node {
            if let address = current.pointee.ai_addr {
                if current.pointee.ai_family == AF_INET {
                    let v4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                    found.append(IPAddress(bytes: withUnsafeBytes(of: v4) { Array($0) }))
                } else if current.pointee.ai_family == AF_INET6 {
                    let v6 = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    found.append(IPAddress(bytes: withUnsafeBytes(of: v6) { Array($0) }))
                }
            }
            node = current.pointee.ai_next
        }
        var seen = Set<IPAddress>()
        let distinct = found.filter { seen.insert($0).inserted }
        return .success(distinct.filter(\.isIPv4) + distinct.filter { !$0.isIPv4 })
    }
}

/// One continuation resumed once, by the lookup or by its time limit, whichever comes first.
private final class ResolveBox: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<[IPAddress], Error>?

    func set(_ c: CheckedContinuation<[IPAddress], Error>) { lock.withLock { continuation = c } }

    func finish(_ result: Result<[IPAddress], Error>) {
        let c: CheckedContinuation<[IPAddress], Error>? = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        c?.resume(with: result)
    }
}

/// The proxies to use, as curl and most tools read them: `--proxy` for every URL, else
/// `http_proxy` / `https_proxy` (lowercase first, then uppercase) by the URL's scheme, except
/// for hosts that `no_proxy` lists (a name matches itself and its subdomains; `*` matches all).
public struct ProxySettings: Sendable, Codable, Hashable {
    public var http: String?
    public var https: String?
    public var noProxy: [String]

    public init(http: String? = nil, https: String? = nil, noProxy: [String] = []) {
        self.http = http
        self.https = https
        self.noProxy = noProxy
    }

    /// `--proxy` when given, else the environment's variables.
    public static func from(option: String?, environment: [String: String]) -> ProxySettings {
        func variable(_ name: String) -> String? {
            (environment[name] ?? environment[name.uppercased()]).flatMap { $0.isEmpty ? nil : $0 }
        }
        let noProxy = (variable("no_proxy") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        if let option { return ProxySettings(http: option, https: option, noProxy: noProxy) }
        return ProxySettings(http: variable("http_proxy"), https: variable("https_proxy"), noProxy: noProxy)
    }

    /// The proxy (host, port) for a URL of `scheme` on `host`; nil to connect directly.
    public func proxy(scheme: String, host: String) -> (host: String, port: Int)? {
        let host = host.lowercased()
        for entry in noProxy {
            if entry == "*" { return nil }
            let name = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
            if host == name || host.hasSuffix("." + name) { return nil }
        }
        guard let text = scheme == "https" ? https : http else { return nil }
        let url = URL(string: text.contains("://") ? text : "http://" + text)
        guard let proxyHost = url?.host, !proxyHost.isEmpty else { return nil }
        return (proxyHost, url?.port ?? 80)
    }
}
