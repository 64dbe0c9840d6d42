import Catalog
import Foundation
import Testing
import TestSupport

/// `curate fetch` against real servers on this machine: Debian's nginx serving the sample
/// crawl's images (the crawl written as Common Crawl's are, pages without images:
/// `synth-crawl --images-apart`), and Tests/Fetch/fault_server.py, a server of one fault per
/// path that is also a CONNECT proxy.
@Suite(.serialized) struct FetchCommandTests {
    static func scratch(_ name: String) -> String {
        let dir = NSTemporaryDirectory() + "curate-fetch-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A server process, stopped when this goes.
    final class Server {
        let process: Process
        init(_ process: Process) { self.process = process }
        /// SIGTERM (nginx's master stops its workers on it), then SIGKILL after 2 s: a child
        /// spawned by the test runner inherits its blocked signals, so Python never sees the
        /// SIGTERM (the fault servers outlived the tests, and Foundation's waitUntilExit hung).
        deinit {
            let pid = process.processIdentifier
            kill(pid, SIGTERM)
            for k in 0..<100 {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) != 0 || !process.isRunning { break }
                if k == 40 { kill(pid, SIGKILL) }
                usleep(50_000)
            }
        }
    }

    /// The fault server on 127.0.0.1, its port, and the file it logs requests to.
    static func faultServer(log: String) throws -> (Server, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let root = SharedCorpus.repositoryRoot.path
        process.arguments = ["python3", root + "/Tests/Fetch/fault_server.py", "--image", root + "/samples/images/scene.png", "--log", log]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = Server(process)
        var line = Data()
        while !line.contains(0x0A) {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let port = try #require(Int(text.dropFirst("port ".count)), "the fault server did not start: \(text)")
        return (server, port)
    }

    /// Debian's nginx on ADDRESS:80 (a loopback address of its own: the URLs of the crawl are
    /// on port 80, and --resolve pins their names there), serving ROOT/HOST/PATH. nil, with why,
    /// when nginx is not installed or port 80 cannot be bound (not root).
    static func nginx(root: String, address: String, folder: String) throws -> (Server?, String) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") else { return (nil, "nginx is not installed (make setup installs Debian's nginx)") }
        guard getuid() == 0 else { return (nil, "nginx must bind port 80 on a loopback address, which needs root") }
        let config = """
            daemon off;
            worker_processes 1;
            pid \(folder)/nginx.pid;
            error_log \(folder)/error.log;
            events { worker_connections 512; }
            http {
              access_log \(folder)/access.log;
              client_body_temp_path \(folder)/body; proxy_temp_path \(folder)/proxy; fastcgi_temp_path \(folder)/fcgi;
              uwsgi_temp_path \(folder)/uwsgi; scgi_temp_path \(folder)/scgi;
              types { image/jpeg jpg; image/png png; image/gif gif; image/webp webp; }
              default_type application/octet-stream;
              server { listen \(address):80; root \(root)/$host; }
            }
            """
        try config.write(toFile: folder + "/nginx.conf", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-c", folder + "/nginx.conf", "-p", folder]
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = Server(process)
        for _ in 0..<100 {
            if let text = try? String(contentsOfFile: folder + "/nginx.pid", encoding: .utf8), !text.isEmpty { return (server, "") }
            if !process.isRunning {
                let log = (try? String(contentsOfFile: folder + "/error.log", encoding: .utf8)) ?? ""
                return (nil, "nginx did not start on \(address):80 (is another server, such as Debian's nginx service, bound to *:80?): \(log.suffix(300))")
            }
            usleep(50_000)
        }
        return (nil, "nginx did not write its pid file within 5 s")
    }

    /// A loopback address of this process's own, so tests running at once do not share port 80.
    static let loopback = "127.77.\((getpid() >> 8) & 255).\(max(1, getpid() & 255))"

    static func query(_ work: String, _ sql: String) throws -> [[SQLiteDatabase.Value]] {
        try SQLiteDatabase(path: work + "/catalog.sqlite").query(sql)
    }

    static func text(_ value: SQLiteDatabase.Value) -> String { if case .text(let s) = value { s } else { "\(value)" } }

    /// (page URL, position) of every resolved reference, with the SHA-256 of its image.
    static func resolved(_ work: String) throws -> Set<String> {
        Set(try query(work, "SELECT p.url, r.position, i.sha256 FROM refs r JOIN pages p ON p.id = r.page_id JOIN images i ON i.id = r.image_id").map {
            "\(text($0[0])) \($0[1]) \(text($0[2]))"
        })
    }

    // MARK: nginx: the plain case

    /// The sample crawl without its images, fetched from nginx: every reference the full dump
    /// resolves is resolved to the same bytes (and the truncated last image, whole on the
    /// server, too); the WARC files are whole and Python's warcio reads them when it is there;
    /// a second run fetches nothing; killed runs resume to the same catalog with every URL
    /// answered once.
    @Test func theSampleCrawlsImagesFetchedFromNginxResolveAsInTheFullDump() throws {
        let folder = Self.scratch("nginx")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (server, why) = try Self.nginx(root: folder + "/www", address: Self.loopback, folder: folder)
        guard let server else {
            print("skipped: \(why)")
            return
        }
        defer { withExtendedLifetime(server) {} }
        #expect(try Curate.run(["synth-crawl", "--size", "sample", "--out", folder + "/crawl", "--images-apart", folder + "/www"]).status == 0)
        #expect(try Curate.run(["crawl-dump", "samples/crawl.warc.gz", "--work", folder + "/full"]).status == 0)
        let pins = ["--resolve", "www.shapes-gallery.example:80:\(Self.loopback)", "--resolve", "cdn.shapes-gallery.example:80:\(Self.loopback)"]
        let fetch = ["fetch", "--host-delay", "0.01", "--user-agent", "curate-tests/1.0 (+mailto:tests@curate.invalid)"] + pins

        let work = folder + "/work"
        #expect(try Curate.run(["crawl-dump", folder + "/crawl/crawl.warc.gz", "--work", work]).status == 0)
        #expect(try Self.query(work, "SELECT count(*) FROM refs WHERE status = 'resolved'") == [[.integer(0)]])
        let run = try Curate.run(fetch + ["--work", work])
        #expect(run.status == 0, "\(run.stderr)")
        let full = try Self.resolved(folder + "/full"), fetched = try Self.resolved(work)
        #expect(full.subtracting(fetched).isEmpty, "resolved in the dump, not after fetch: \(full.subtracting(fetched).sorted().prefix(5))")
        #expect(fetched.subtracting(full).count == 1, "only last.jpg, cut short in the dump, is new: \(fetched.subtracting(full).sorted())")
        #expect(try Self.query(work, "SELECT count(*) FROM (SELECT url FROM fetch_outcomes GROUP BY url HAVING count(*) > 1)") == [[.integer(0)]])
        #expect(run.stdout.contains("references still missing: 6, of which 0 with a URL no fetch has answered"), "\(run.stdout)")
        // What nginx saw: robots.txt once per host, our User-Agent on every request.
        let log = (try? String(contentsOfFile: folder + "/access.log", encoding: .utf8)) ?? ""
        #expect(log.components(separatedBy: "GET /robots.txt").count - 1 == 2, "robots.txt once for each of the two hosts")
        #expect(log.split(separator: "\n").allSatisfy { $0.contains("curate-tests/1.0 (+mailto:tests@curate.invalid)") })

        // The files: whole gzip members, WARC/1.1 with the fields the issue names.
        let names = try FileManager.default.contentsOfDirectory(atPath: work + "/fetched").sorted()
        let files = names.filter { $0.hasSuffix(".warc.gz") }
        #expect(!files.isEmpty && names.allSatisfy { $0.hasSuffix(".warc.gz") || $0 == ".curate.lock" }, "\(names)")
        for file in files {
            let text = try Self.gunzip(work + "/fetched/" + file)
            #expect(text.hasPrefix("WARC/1.1\r\nWARC-Type: warcinfo"))
            #expect(text.contains("software: curate/"))
            for field in ["WARC-Payload-Digest: sha1:", "WARC-Target-URI: http://", "WARC-IP-Address: \(Self.loopback)", "WARC-Type: request", "WARC-Type: metadata"] {
                #expect(text.contains(field), "\(file) has no \(field)")
            }
        }
        if let python = Self.warcioPython {
            let check = Process()
            check.executableURL = URL(fileURLWithPath: python)
            check.arguments = ["-c", """
                import sys
                from warcio.archiveiterator import ArchiveIterator
                n = 0
                for path in sys.argv[1:]:
                    with open(path, 'rb') as f:
                        for record in ArchiveIterator(f, check_digests='raise'):
                            record.content_stream().read()
                            n += 1
                print(n)
                """] + files.map { work + "/fetched/" + $0 }
            let out = Pipe()
            check.standardOutput = out
            try check.run()
            let count = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            check.waitUntilExit()
            #expect(check.terminationStatus == 0 && (Int(count.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 100, "warcio: \(count)")
        } else {
            print("skipped: warcio's reading of the files (make setup installs it in the test venv)")
        }

        // Again: nothing left to fetch.
        let again = try Curate.run(fetch + ["--work", work])
        #expect(again.stdout.contains("fetched 0 URL(s)"), "\(again.stdout)")

        // Killed at fault points (file writes, renames, catalog commits), then run to the end.
        let counted = folder + "/counted", killed = folder + "/killed"
        for w in [counted, killed] { #expect(try Curate.run(["crawl-dump", folder + "/crawl/crawl.warc.gz", "--work", w]).status == 0) }
        let small = ["--warc-file-mb", "1"]
        let (result, points) = try Curate.countingFaultPoints(fetch + ["--work", counted] + small)
        #expect(result.status == 0 && points > 20, "\(points) fault points")
        #expect(try Curate.killAtFaultPoints(fetch + ["--work", killed] + small, [2, points / 4, points / 4]) == 3)
        #expect(try Curate.run(fetch + ["--work", killed] + small).status == 0)
        #expect(try Self.resolved(killed) == fetched)
        #expect(try Self.query(killed, "SELECT count(*) FROM (SELECT url FROM fetch_outcomes GROUP BY url HAVING count(*) > 1)") == [[.integer(0)]])
        #expect(try FileManager.default.contentsOfDirectory(atPath: killed + "/fetched").allSatisfy { !$0.hasSuffix(".open") })
    }

    static func gunzip(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "gzip -t \(path)")
        return String(decoding: data, as: UTF8.self)
    }

    /// A python with warcio (the test venv, where make setup installs it), or nil.
    static let warcioPython: String? = {
        let python = ProcessInfo.processInfo.environment["CURATE_TEST_PYTHON"] ?? "/tmp/curate-test-venv/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else { return nil }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: python)
        probe.arguments = ["-c", "import warcio"]
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return nil }
        probe.waitUntilExit()
        return probe.terminationStatus == 0 ? python : nil
    }()

    // MARK: the faults

    /// A plain WARC with one page whose images are at `urls`.
    static func pageWARC(_ path: String, urls: [String]) throws {
        let html = "<!doctype html><html><head><title>faults</title></head><body>" +
            urls.enumerated().map { "<img src=\"\($1)\" alt=\"fault number \($0)\">" }.joined() + "</body></html>"
        let http = Array("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: \(html.utf8.count)\r\n\r\n\(html)".utf8)
        let header = "WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-a000-000000000001>\r\n" +
            "WARC-Date: 2026-12-01T00:00:00Z\r\nWARC-Target-URI: http://pages.test/faults.html\r\n" +
            "Content-Type: application/http; msgtype=response\r\nContent-Length: \(http.count)\r\n\r\n"
        try Data(Array(header.utf8) + http + Array("\r\n\r\n".utf8)).write(to: URL(fileURLWithPath: path))
    }

    /// Each fault, its expected outcome; the run ends within its time limits; robots.txt is
    /// fetched once; the server's log shows the retries, the Retry-After wait, the per-host limit
    /// and no request for a disallowed path; the report's funnel shows the outcomes.
    @Test func everyFaultEndsWithItsNamedOutcomeWithinTheTimeLimits() throws {
        let folder = Self.scratch("faults")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (server, port) = try Self.faultServer(log: folder + "/requests.jsonl")
        defer { withExtendedLifetime(server) {} }
        let base = "http://faults.test:\(port)"
        let expected: [(String, String)] = [
            ("/ok/a.png", "ok"), ("/404.png", "http_404"), ("/410.png", "http_410"), ("/flaky-500.png", "ok"), ("/429.png", "ok"),
            ("/429-forever.png", "http_429"), ("/stall.png", "timeout"), ("/trickle.png", "timeout"), ("/reset.png", "connection_reset"),
            ("/short.png", "truncated"), ("/huge.png", "too_large"), ("/loop-a", "redirect_loop"), ("/redirect-ok.png", "ok"),
            ("/to-metadata.png", "private_address"), ("/to-loopback.png", "private_address"), ("/gzip.png", "ok"), ("/html.png", "not_an_image"),
            ("/private/x.png", "robots_disallowed"), ("/noai.png", "opted_out"), ("/otherbot-noindex.png", "ok"),
        ]
        var urls = expected.map { base + $0.0 }
        urls += ["http://images.invalid/x.png", "http://127.0.0.1:\(port)/ok/direct.png"]
        // Ten quick answers (50 ms each) from a host of their own: the per-host limit is seen there.
        let slow = (0..<10).map { "http://slow.test:\(port)/slow/\($0).png" }
        urls += slow
        let work = folder + "/work"
        try Self.pageWARC(folder + "/page.warc", urls: urls)
        #expect(try Curate.run(["crawl-dump", folder + "/page.warc", "--work", work]).status == 0)
        let started = Date()
        let run = try Curate.run(["fetch", "--work", work, "--resolve", "faults.test:\(port):127.0.0.1", "--resolve", "slow.test:\(port):127.0.0.1",
                                  "--host-delay", "0", "--per-host", "2",
                                  "--connect-timeout", "2", "--read-timeout", "1", "--timeout", "3", "--attempts", "2", "--retry-delay", "0.2",
                                  "--max-bytes", "1000000", "--user-agent", "curate-tests/1.0 (+mailto:tests@curate.invalid)"])
        let seconds = Date().timeIntervalSince(started)
        #expect(run.status == 0, "\(run.stderr)")
        // Two attempts of the slowest fault (3 s each) and a backoff, with room: the server never holds the run.
        #expect(seconds < 20, "the run took \(seconds) s")
        var outcomes: [String: String] = [:]
        for row in try Self.query(work, "SELECT url, outcome FROM fetch_outcomes") { outcomes[Self.text(row[0])] = Self.text(row[1]) }
        for (path, outcome) in expected { #expect(outcomes[base + path] == outcome, "\(path): \(outcomes[base + path] ?? "no outcome")") }
        #expect(outcomes["http://images.invalid/x.png"] == "dns_failed")
        #expect(outcomes["http://127.0.0.1:\(port)/ok/direct.png"] == "private_address")
        for url in slow { #expect(outcomes[url] == "ok", "\(url)") }
        #expect(run.stdout.contains("  ok 16"), "\(run.stdout)")

        // The catalog: the sixteen images resolve their references; the gzip-encoded one is the image itself.
        let png = try Data(contentsOf: SharedCorpus.repositoryRoot.appendingPathComponent("samples/images/scene.png"))
        #expect(try Self.query(work, "SELECT count(*) FROM refs WHERE status = 'resolved'") == [[.integer(16)]])
        #expect(try Self.query(work, "SELECT count(DISTINCT image_id), min(bytes) FROM refs JOIN images ON images.id = refs.image_id") == [[.integer(1), .integer(Int64(png.count))]])
        #expect(try Self.query(work, "SELECT redirects, attempts FROM fetch_outcomes WHERE url LIKE '%/redirect-ok.png'") == [[.integer(1), .integer(2)]])

        // What the server saw.
        let log = try Self.serverLog(folder + "/requests.jsonl")
        let requests = log.filter { $0["path"] != nil }
        func times(_ path: String, host: String = "faults.test:\(port)") -> [Double] {
            requests.filter { $0["path"] as? String == path && $0["host"] as? String == host }.compactMap { $0["time"] as? Double }
        }
        #expect(times("/robots.txt").count == 1)
        #expect(times("/robots.txt", host: "slow.test:\(port)").count == 1)
        #expect(times("/private/x.png").isEmpty, "a disallowed path is never requested")
        #expect(times("/flaky-500.png").count == 2)
        let retried = times("/429.png")
        #expect(retried.count == 2 && retried[1] - retried[0] >= 0.95, "Retry-After: 1 waited for: \(retried)")
        #expect(requests.allSatisfy { $0["user_agent"] as? String == "curate-tests/1.0 (+mailto:tests@curate.invalid)" })
        let peaks = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/requests.jsonl.peak")))) as? [String: Int]
        let peak = peaks?["slow.test:\(port)"] ?? 0
        #expect(peak == 2, "--per-host 2: two requests at once to slow.test, never more; saw \(peak)")

        // The report's funnel names the outcomes.
        #expect(try Curate.run(["report", "--work", work, "--out", folder + "/report"]).status == 0)
        let page = (try? String(contentsOfFile: folder + "/report/index.html", encoding: .utf8)) ?? ""
        for name in ["curate fetch", "robots_disallowed", "private_address", "http_404"] { #expect(page.contains(name), "the report has no \(name)") }
    }

    /// Through a proxy: --proxy sends every URL through CONNECT (the fault server answers it);
    /// http_proxy from the environment too, except for the hosts no_proxy names.
    @Test func proxiesFromTheOptionAndTheEnvironmentCarryTheRequests() throws {
        let folder = Self.scratch("proxy")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (server, port) = try Self.faultServer(log: folder + "/requests.jsonl")
        defer { withExtendedLifetime(server) {} }
        let work = folder + "/work"
        try Self.pageWARC(folder + "/page.warc", urls: ["http://images.proxied.test/ok/p.png", "http://direct.test/ok/d.png"])
        #expect(try Curate.run(["crawl-dump", folder + "/page.warc", "--work", work]).status == 0)
        let run = try Curate.run(["fetch", "--work", work, "--host-delay", "0", "--connect-timeout", "2", "--attempts", "1"],
                                 environment: ["http_proxy": "http://127.0.0.1:\(port)", "no_proxy": "direct.test"])
        #expect(run.status == 0, "\(run.stderr)")
        var outcomes: [String: String] = [:]
        for row in try Self.query(work, "SELECT url, outcome FROM fetch_outcomes") { outcomes[Self.text(row[0])] = Self.text(row[1]) }
        #expect(outcomes["http://images.proxied.test/ok/p.png"] == "ok")
        #expect(outcomes["http://direct.test/ok/d.png"] == "dns_failed", "no_proxy: resolved here, and .test names do not resolve")
        let log = try Self.serverLog(folder + "/requests.jsonl")
        #expect(log.contains { $0["method"] as? String == "CONNECT" && $0["target"] as? String == "images.proxied.test:80" })
        #expect(log.contains { $0["path"] as? String == "/ok/p.png" && $0["proxied"] as? String == "images.proxied.test:80" })

        // --proxy overrides the environment for every host.
        let second = folder + "/second"
        try Self.pageWARC(folder + "/second.warc", urls: ["http://direct.test/ok/d.png"])
        #expect(try Curate.run(["crawl-dump", folder + "/second.warc", "--work", second]).status == 0)
        #expect(try Curate.run(["fetch", "--work", second, "--proxy", "http://127.0.0.1:\(port)", "--attempts", "1"]).status == 0)
        #expect(try Self.query(second, "SELECT outcome FROM fetch_outcomes") == [[.text("ok")]])
    }

    @Test func badOptionsAndAMissingCatalogAreOneLine() throws {
        let folder = Self.scratch("bad")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let missing = try Curate.run(["fetch", "--work", folder + "/none"])
        #expect(missing.status == 1 && missing.stderr.contains("run curate crawl-dump"), "\(missing.stderr)")
        let resolve = try Curate.run(["fetch", "--work", folder, "--resolve", "images.example.org"])
        #expect(resolve.status != 0 && resolve.stderr.contains("HOST:PORT:ADDRESS"), "\(resolve.stderr)")
        let agent = try Curate.run(["fetch", "--work", folder, "--user-agent", " "])
        #expect(agent.status != 0 && agent.stderr.contains("--user-agent"))
    }

    /// The fault server's log: one JSON object per request.
    static func serverLog(_ path: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}
