import CurateCore
import Foundation
import Testing
import Zlib
@testable import Fetch

/// The parts of curate fetch that need no server: address ranges, --resolve, proxies from the
/// environment, robots.txt (RFC 9309's rules), X-Robots-Tag, Retry-After, the WARC records and
/// the output files with their recovery. CurateTests' FetchCommandTests run it against servers.
struct AddressTests {
    @Test func privateLoopbackLinkLocalAndMetadataRangesAreRefusedPublicOnesAreNot() throws {
        let refused = ["10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.254", "192.168.1.1", "127.0.0.1", "127.9.9.9", "169.254.169.254",
                       "100.100.100.200", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1",
                       "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "[::1]"]
        let allowed = ["8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.1", "192.169.0.1", "169.255.0.1", "100.63.255.255", "100.128.0.1",
                       "2606:4700:4700::1111", "2001:db8::1", "::ffff:8.8.8.8"]
        for text in refused { #expect(try #require(IPAddress(text), "\(text)").isPrivate, "\(text) must be refused") }
        for text in allowed { #expect(try #require(IPAddress(text), "\(text)").isPrivate == false, "\(text) must be allowed") }
        #expect(IPAddress("images.example.org") == nil)
        #expect(IPAddress("999.1.1.1") == nil)
        #expect(IPAddress("169.254.169.254")?.description == "169.254.169.254")
        #expect(IPAddress("::ffff:1.2.3.4")?.description == "::ffff:1.2.3.4")
    }

    @Test func resolveEntriesParseAsCurlWritesThem() {
        #expect(ResolveEntry(parsing: "Images.Example.org:80:127.0.0.1") == ResolveEntry(host: "images.example.org", port: 80, address: "127.0.0.1"))
        #expect(ResolveEntry(parsing: "cdn.example:443:[::1]")?.address == "::1")
        for bad in ["images.example.org:80", "images.example.org:http:127.0.0.1", ":80:127.0.0.1", "h:80:not-an-address", "h:70000:127.0.0.1"] {
            #expect(ResolveEntry(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func proxiesComeFromTheOptionOrTheEnvironmentAndNoProxyExemptsHostsAndTheirSubdomains() {
        let env = ["http_proxy": "http://proxy.lab:3128", "HTTPS_PROXY": "proxy.lab:3129", "no_proxy": "localhost, .intranet.lab,cdn.example"]
        let settings = ProxySettings.from(option: nil, environment: env)
        #expect(settings.proxy(scheme: "http", host: "images.example.org")! == ("proxy.lab", 3128))
        #expect(settings.proxy(scheme: "https", host: "images.example.org")! == ("proxy.lab", 3129))
        #expect(settings.proxy(scheme: "http", host: "wiki.intranet.lab") == nil)
        #expect(settings.proxy(scheme: "http", host: "a.cdn.example") == nil)
        #expect(settings.proxy(scheme: "http", host: "localhost") == nil)
        #expect(settings.proxy(scheme: "http", host: "notcdn.example")! == ("proxy.lab", 3128))
        let option = ProxySettings.from(option: "http://127.0.0.1:8888", environment: env)
        #expect(option.proxy(scheme: "https", host: "images.example.org")! == ("127.0.0.1", 8888))
        #expect(ProxySettings.from(option: nil, environment: [:]).proxy(scheme: "http", host: "x.org") == nil)
        #expect(ProxySettings.from(option: nil, environment: ["http_proxy": "http://p:1", "no_proxy": "*"]).proxy(scheme: "http", host: "x.org") == nil)
    }
}

struct RobotsTests {
    @Test func theLongestMatchWinsAndAllowWinsATieAsRFC9309Says() {
        let rules = RobotsRules(parsing: """
            User-agent: *
            Disallow: /private/
            Allow: /private/public/
            Disallow: /*.gif$
            Disallow: /tmp
            Allow: /tmp
            """, agent: "curate")
        #expect(rules.allows("/images/a.png"))
        #expect(!rules.allows("/private/a.png"))
        #expect(rules.allows("/private/public/a.png"))
        #expect(!rules.allows("/px/t.gif"))
        #expect(rules.allows("/px/t.gif?p=1"))        // $ anchors the end: the query follows
        #expect(rules.allows("/tmp/x"))               // equal length: allow
        #expect(rules.allows("/robots.txt"))
    }

    @Test func theGroupOfOurTokenReplacesTheStarGroupAndSeveralGroupsOfItCombine() {
        let text = """
            # comments and blank lines are ignored

            User-agent: *
            Disallow: /

            User-agent: Curate
            User-agent: otherbot
            Disallow: /no-curate/
            Crawl-delay: 2.5

            user-agent: curate
            disallow: /also/
            sitemap: https://example.org/sitemap.xml
            """
        let ours = RobotsRules(parsing: text, agent: "curate")
        #expect(ours.allows("/images/a.png"))
        #expect(!ours.allows("/no-curate/a.png"))
        #expect(!ours.allows("/also/a.png"))
        #expect(ours.crawlDelay == 2.5)
        let someone = RobotsRules(parsing: text, agent: "img2dataset")
        #expect(!someone.allows("/images/a.png"))
        #expect(RobotsRules(parsing: "User-agent: otherbot\nDisallow: /\n", agent: "curate").allows("/a"))
        #expect(RobotsRules(parsing: "User-agent: *\nDisallow:\n", agent: "curate").allows("/a"))
        #expect(!RobotsRules.disallowAll.allows("/a"))
    }

    @Test func wildcardsMatchAnyRunOfCharacters() {
        #expect(RobotsRules.matches("/*/thumbs/*.jpg", "/a/b/thumbs/c.jpg"))
        #expect(!RobotsRules.matches("/*/thumbs/*.jpg$", "/a/thumbs/c.jpg.html"))
        #expect(RobotsRules.matches("/fish*", "/fish.html"))
        #expect(!RobotsRules.matches("/fish", "/Fish.html"))
        #expect(RobotsRules.matches("/*", "/"))
        #expect(RobotsRules.matches("/$", "/"))
        #expect(!RobotsRules.matches("/$", "/a"))
    }
}

struct ResponseRuleTests {
    @Test func xRobotsTagOptsOutForEveryAgentOrOursOnly() {
        let directives = FetchOptions().optOutDirectives
        #expect(Fetcher.optOut([("X-Robots-Tag", "noai")], directives: directives, agent: "curate") != nil)
        #expect(Fetcher.optOut([("x-robots-tag", "noindex, nofollow")], directives: directives, agent: "curate") != nil)
        #expect(Fetcher.optOut([("X-Robots-Tag", "curate: noimageai")], directives: directives, agent: "curate") != nil)
        #expect(Fetcher.optOut([("X-Robots-Tag", "otherbot: noindex")], directives: directives, agent: "curate") == nil)
        #expect(Fetcher.optOut([("X-Robots-Tag", "nofollow, noarchive")], directives: directives, agent: "curate") == nil)
        #expect(Fetcher.optOut([("Content-Type", "image/png")], directives: directives, agent: "curate") == nil)
    }

    @Test func retryAfterIsReadAsSecondsOrAsAnHTTPDate() {
        #expect(Fetcher.retryAfterSeconds("120") == 120)
        #expect(Fetcher.retryAfterSeconds(" 0 ") == 0)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let later = try! #require(Fetcher.retryAfterSeconds(formatter.string(from: Date().addingTimeInterval(30))))
        #expect(later > 25 && later <= 30)
        #expect(Fetcher.retryAfterSeconds("soon") == nil)
    }

    @Test func theRobotsTokenIsTheUserAgentsFirstWord() {
        #expect(FetchOptions(userAgent: "mylab-curate/1.0 (+mailto:data@mylab.org)").robotsToken == "mylab-curate")
        #expect(FetchOptions().robotsToken == "curate")
        #expect(FetchOptions().userAgent.contains("+https://"))
    }
}

struct WARCOutputTests {
    @Test func base32SHA1IsWhatWARCFilesWrite() {
        // SHA-1 of the empty string, as wget and Heritrix write it in WARC-Payload-Digest.
        #expect(WARCMember.sha1([]) == "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ")
        #expect(WARCMember.sha1(Array("abc".utf8)) == "sha1:VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5")
        #expect(WARCMember.timestamp(Date(timeIntervalSince1970: 1_764_547_200.25)) == "2025-12-01T00:00:00.250000Z")
    }

    @Test func aRecordIsOneGzipMemberWithItsDigestAndLength() throws {
        let block = Array("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\nPNGBYTES".utf8)
        let member = WARCMember.member(type: "response", uri: "http://a.example/x.png", date: Date(), fields: [("WARC-IP-Address", "192.0.2.1")],
                                       contentType: "application/http; msgtype=response", block: block)
        let text = String(decoding: try #require(Zlib.inflateContent(member, deflate: false, limit: 1 << 20)), as: UTF8.self)
        #expect(text.hasPrefix("WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:"))
        #expect(text.contains("WARC-Target-URI: http://a.example/x.png\r\n"))
        #expect(text.contains("WARC-IP-Address: 192.0.2.1\r\n"))
        #expect(text.contains("WARC-Block-Digest: \(WARCMember.sha1(block))\r\n"))
        #expect(text.contains("Content-Length: \(block.count)\r\n\r\nHTTP/1.1 200 OK"))
        #expect(text.hasSuffix("PNGBYTES\r\n\r\n"))
    }

    @Test func filesAreOpenUntilWholeThenRenamedAndNumberingGoesOn() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("curate-fetch-files-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = try FetchWARCFiles(folder: folder, maxBytes: 1 << 16, warcinfo: [("software", "curate test")])
        let record = WARCMember.member(type: "metadata", uri: "http://a.example/x", date: Date(), contentType: "application/warc-fields",
                                       block: WARCMember.fields([("curate-fetch-outcome", "ok")]) + (0..<40_000).map { _ in UInt8.random(in: 0...255) })  // does not compress
        try files.append(record)
        #expect(FetchFolder.openFiles(in: folder).count == 1)
        #expect(FetchFolder.finishedFiles(in: folder).isEmpty)
        try files.append(record)   // past 64 KiB: closed
        #expect(FetchFolder.openFiles(in: folder).isEmpty)
        #expect(FetchFolder.finishedFiles(in: folder).map { ($0 as NSString).lastPathComponent } == ["fetch-00000.warc.gz"])
        try files.append(record)
        try files.close()
        #expect(files.finished.map { ($0 as NSString).lastPathComponent } == ["fetch-00000.warc.gz", "fetch-00001.warc.gz"])
        let again = try FetchWARCFiles(folder: folder, maxBytes: 1 << 20, warcinfo: [])
        try again.append(record)
        try again.close()
        #expect(again.finished.map { ($0 as NSString).lastPathComponent } == ["fetch-00002.warc.gz"])
    }

    @Test func recoveryKeepsTheWholePartAndRemovesAFileWithNoWholeURL() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("curate-fetch-recover-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let open = folder + "/fetch-00004.warc.gz.open"
        FileManager.default.createFile(atPath: open, contents: Data(repeating: 7, count: 1000))
        #expect(try FetchFolder.recover(open, keep: 600, hasURLs: true) == folder + "/fetch-00004.warc.gz")
        #expect(try FileManager.default.attributesOfItem(atPath: folder + "/fetch-00004.warc.gz")[.size] as? Int == 600)
        let empty = folder + "/fetch-00005.warc.gz.open"
        FileManager.default.createFile(atPath: empty, contents: Data(repeating: 7, count: 100))
        #expect(try FetchFolder.recover(empty, keep: 0, hasURLs: false) == nil)
        #expect(!FileManager.default.fileExists(atPath: empty))
        #expect(FetchFolder.nextNumber(in: folder) == 5)
    }
}
