import ArgumentParser
import Catalog
import Crawl
import CurateCore
import Fetch
import Foundation

extension Curate {
    struct FetchCommand: ParsableCommand, Exemplified {
        static let example = "curate fetch --work curate-work --user-agent 'mylab-curate/1.0 (+mailto:data@mylab.org)'    # the images the dump lacks"
        static let configuration = CommandConfiguration(
            commandName: "fetch",
            abstract: "Download the images the dump does not hold into WARC files, and catalog them.",
            discussion: """
            Takes every http(s) URL of a reference crawl-dump recorded as missing (each URL once),
            fetches it politely and safely, and writes what it fetched to OUT/fetch-NNNNN.warc.gz
            (WARC/1.1, one gzip member per record: request and response records with the server's
            address and SHA-1 digests, and one `metadata` record per URL with its outcome: `ok` or
            a reason such as http_404, timeout, too_large, not_an_image, robots_disallowed,
            opted_out, dns_failed, connection_reset, redirect_loop, private_address). Then
            crawl-dump's own code catalogs those files, so the references resolve as if the bytes
            had been in the dump, and the outcomes land in the catalog's fetch_outcomes table.

            Polite: at most --connections requests at once, --per-host per host and --host-delay
            seconds between requests to a host; robots.txt fetched once per host and obeyed for
            the --user-agent's first word; X-Robots-Tag noai, noimageai, noindex, noimageindex
            honoured; 429 and 5xx retried after a backoff or Retry-After. Safe: connect, read and
            whole-response time limits, a byte cap enforced while reading, the image probed before
            it is kept, and private, loopback and link-local addresses (cloud metadata services
            among them) refused after DNS and on every redirect unless --allow-private-addresses.

            Resumable: a killed run, re-run, fetches only the URLs no whole file of an earlier run
            answered; a file cut short is kept up to its last whole URL. --resolve HOST:PORT:ADDRESS
            pins a name to an address (as curl's), and --proxy or http_proxy/https_proxy/no_proxy
            route requests through an HTTP proxy (CONNECT).

            Example:
              \(example)
            """
        )

        @OptionGroup var workOption: WorkOption
        var work: String { workOption.work }

        @Option(help: "Where the WARC files go (default WORK/fetched).")
        var out: String?

        @Option(help: "Fetch at most this many URLs this run.")
        var limit: Int?

        @Option(help: "The User-Agent sent: name your project and a contact. Its first word is matched against robots.txt.")
        var userAgent = FetchOptions.defaultUserAgent

        @Option(help: "Requests in flight at once, over all hosts.")
        var connections = 64

        @Option(help: "Requests in flight at once to one host.")
        var perHost = 4

        @Option(help: "Seconds between the starts of two requests to one host (robots.txt's Crawl-delay, up to 10 s, raises it).")
        var hostDelay = 0.1

        @Option(help: "Seconds to connect (TCP and TLS).")
        var connectTimeout = 10.0

        @Option(help: "Seconds without a byte (waiting for the headers, or a stalled body) before giving up.")
        var readTimeout = 20.0

        @Option(help: "Seconds for a whole response.")
        var timeout = 60.0

        @Option(help: "The largest image kept, in bytes, enforced while it arrives (img2dataset has no byte cap; 32 MiB holds a 89-megapixel JPEG, PIL's decompression-bomb limit, with room).")
        var maxBytes = 32 << 20

        @Option(help: "Attempts per URL (429, 5xx, timeouts and resets are tried again).")
        var attempts = 3

        @Option(help: "Seconds before the first retry; doubled for each next one.")
        var retryDelay = 1.0

        @Option(help: "The longest Retry-After waited for, in seconds; a longer one ends the URL with its status.")
        var maxRetryAfter = 60.0

        @Flag(help: "Do not fetch or obey robots.txt (only for sites you own or have permission to crawl).")
        var ignoreRobots = false

        @Flag(help: "Reach private, loopback and link-local addresses (tests, intranet crawls).")
        var allowPrivateAddresses = false

        @Option(help: "HOST:PORT:ADDRESS: connect to ADDRESS for HOST on PORT, without DNS (repeatable; a pinned address may be private).")
        var resolve: [String] = []

        @Option(help: "An HTTP proxy for every URL (default: http_proxy, https_proxy and no_proxy from the environment).")
        var proxy: String?

        @Option(help: "Rounds: 1 fetches each missing reference's best URL; each next round the next candidate (a srcset's other sizes) of those still missing.")
        var rounds = 3

        @Option(help: "Close a WARC file once it holds this many MB.")
        var warcFileMb = 1024

        @OptionGroup var threadsOption: ThreadsOption

        func validate() throws {
            guard connections >= 1, perHost >= 1, attempts >= 1 else { throw CommandFailure("--connections, --per-host and --attempts must be at least 1") }
            guard hostDelay >= 0, connectTimeout > 0, readTimeout > 0, timeout > 0, retryDelay >= 0 else {
                throw CommandFailure("time limits must be positive (and --host-delay, --retry-delay at least 0)")
            }
            guard maxBytes >= 1024 else { throw CommandFailure("--max-bytes must be at least 1024, got \(maxBytes)") }
            guard rounds >= 1 else { throw CommandFailure("--rounds must be at least 1, got \(rounds)") }
            guard warcFileMb >= 1 else { throw CommandFailure("--warc-file-mb must be at least 1, got \(warcFileMb)") }
            if let limit, limit < 0 { throw CommandFailure("--limit must be at least 0, got \(limit)") }
            guard !userAgent.trimmingCharacters(in: .whitespaces).isEmpty else { throw CommandFailure("--user-agent must name your project and a contact, e.g. 'mylab-curate/1.0 (+mailto:data@mylab.org)'") }
            for entry in resolve where ResolveEntry(parsing: entry) == nil {
                throw CommandFailure("--resolve \(entry): expected HOST:PORT:ADDRESS, e.g. images.example.org:80:127.0.0.1")
            }
        }

        var fetchOptions: FetchOptions {
            var o = FetchOptions(userAgent: userAgent)
            o.connections = connections
            o.perHost = perHost
            o.hostDelay = hostDelay
            o.connectTimeout = connectTimeout
            o.readTimeout = readTimeout
            o.totalTimeout = timeout
            o.maxBytes = maxBytes
            o.attempts = attempts
            o.retryDelay = retryDelay
            o.maxRetryAfter = maxRetryAfter
            o.obeyRobots = !ignoreRobots
            o.allowPrivateAddresses = allowPrivateAddresses
            o.resolve = resolve.compactMap(ResolveEntry.init(parsing:))
            o.proxies = ProxySettings.from(option: proxy, environment: ProcessInfo.processInfo.environment)
            o.warcFileBytes = warcFileMb << 20
            o.limit = limit
            o.rounds = rounds
            return o
        }

        func run() throws {
            let out = self.out ?? work + "/fetched"
            let locks = try lockFolders([work, out])
            defer { withExtendedLifetime(locks) {} }
            let job = FetchJob(work: work, out: out, options: fetchOptions, threads: threadsOption.threads)
            let line = ProgressLine()
            let report = try job.run { done, total, summary in
                line.show(String(format: "fetched %d of %d URLs  images %d  %.1f MB", done, total, summary.images, Double(summary.bytes) / 1e6))
            }
            line.finish()
            report.lines.forEach { print($0) }
        }
    }
}

/// curate fetch's steps, for the command and for an engine's fetch task: recover a file an
/// earlier run left open, catalog whole files not yet cataloged, fetch what no file answers,
/// catalog the new files. Every step can be killed and re-run.
struct FetchJob {
    var work: String
    var out: String
    var options: FetchOptions
    var threads: Int
    /// The URLs to fetch; nil: the catalog's missing references (an engine's task passes its own).
    var urls: [String]?

    struct Report {
        var recovered: [String] = []
        var queued = 0
        var summary = FetchSummary()
        var catalog: CrawlSummary?
        var rounds = 0
        var missing = (missing: 0, unfetched: 0)

        var lines: [String] {
            var out: [String] = []
            for path in recovered { out.append("recovered \(path) up to its last whole URL (an earlier run stopped while writing it)") }
            let rate = Double(summary.urls) / max(summary.seconds, 1e-3)
            out.append(String(format: "fetched %d URL(s) in %.1f s (%.0f URLs/s): %d image(s), %.1f MB", summary.urls, summary.seconds, rate, summary.images, Double(summary.bytes) / 1e6))
            for (outcome, n) in summary.outcomes.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) { out.append("  \(outcome) \(n)") }
            for file in summary.files { out.append("wrote \(file)") }
            if let catalog { out += catalog.lines.map { "crawl-dump: " + $0 } }
            if rounds > 1 { out.append("\(rounds) rounds: references whose best URL failed were tried at their next candidate") }
            out.append("references still missing: \(missing.missing), of which \(missing.unfetched) with a URL no fetch has answered")
            return out
        }
    }

    var catalogPath: String { work + "/catalog.sqlite" }

    func run(progress: @escaping (Int, Int, FetchSummary) -> Void = { _, _, _ in }) throws -> Report {
        guard FileManager.default.fileExists(atPath: catalogPath) else {
            throw CommandFailure("no catalog at \(catalogPath): run curate crawl-dump on the dump first (curate fetch fetches the images its pages reference)")
        }
        var report = Report()
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for open in FetchFolder.openFiles(in: out) {
                let whole = try FetchedFileRecovery.wholePart(of: open)
                if let path = try FetchFolder.recover(open, keep: whole.keep, hasURLs: whole.urls > 0) { report.recovered.append(path) }
            }
            _ = try catalogFinishedFiles()
            let started = Date()
            let store = try CatalogStore(path: catalogPath)
            let runID = try store.startRun(FetchRun.self, options: runOptions, started: started)
            let files = try FetchWARCFiles(folder: out, maxBytes: options.warcFileBytes, warcinfo: options.warcinfo)
            let fetcher = Fetcher(options: options)
            let state = FetchLoopState(store: store, files: files, progress: progress)
            // Rounds: a reference whose best candidate failed is tried at its next candidate (a
            // srcset's other sizes) once this round's outcomes are in the catalog.
            var remaining = options.limit ?? Int.max, round = 0
            do {
                while remaining > 0 && round < options.rounds && (round == 0 || urls == nil) {
                    let queued = try queue(store, limit: remaining)
                    guard queued > 0 else { break }
                    round += 1
                    report.queued += queued
                    remaining -= queued
                    state.restart(total: report.queued)
                    try runBlocking { try await fetcher.run(next: state.next, write: state.write) }
                    try files.close()
                    report.catalog = try catalogFinishedFiles() ?? report.catalog
                }
            } catch {
                try? runBlocking { await fetcher.shutdown() }
                throw error
            }
            try runBlocking { await fetcher.shutdown() }
            var summary = state.summary
            summary.seconds = Date().timeIntervalSince(started)
            summary.files = files.finished
            try store.finishRun(FetchRun.self, id: runID, summary: FetchRun.Summary(urls: summary.urls, outcomes: summary.outcomes, bytes: summary.bytes,
                                                                                    seconds: summary.seconds, files: summary.files))
            report.summary = summary
            report.rounds = round
            report.missing = try CatalogStore(path: catalogPath).missingReferences()
        } catch let error as FetchError {
            throw CommandFailure(error.description)
        } catch let error as CrawlError {
            throw CommandFailure(error.description)
        }
        return report
    }

    var runOptions: FetchRun.Options {
        FetchRun.Options(out: CatalogPaths.absolute(out), userAgent: options.userAgent, limit: options.limit, connections: options.connections,
                         perHost: options.perHost, hostDelay: options.hostDelay, obeyRobots: options.obeyRobots,
                         allowPrivateAddresses: options.allowPrivateAddresses, maxBytes: options.maxBytes)
    }

    /// The URLs this run fetches, into the catalog connection's temporary queue.
    private func queue(_ store: CatalogStore, limit: Int) throws -> Int {
        guard let urls else { return try store.makeFetchQueue(limit: limit) }
        try store.db.execute("DROP TABLE IF EXISTS temp.fetch_queue; CREATE TEMP TABLE fetch_queue (seq INTEGER PRIMARY KEY, url TEXT NOT NULL, host TEXT NOT NULL)")
        let done = try store.fetchedURLs(among: urls)
        try store.db.execute("BEGIN")
        for url in urls.prefix(limit) where !done.contains(url) {
            try store.db.query("INSERT INTO temp.fetch_queue (url, host) VALUES (?, '')", [.text(url)])
        }
        try store.db.execute("COMMIT")
        return try store.fetchQueueLength()
    }

    /// crawl-dump over the whole fetch files it has not read to the end; nil when there are none.
    private func catalogFinishedFiles() throws -> CrawlSummary? {
        let done = try CatalogStore(path: catalogPath).doneSourcePaths()
        let pending = FetchFolder.finishedFiles(in: out).filter { !done.contains(CatalogPaths.absolute($0)) }
        guard !pending.isEmpty else { return nil }
        let crawl = try Crawl.CrawlDump(options: CrawlOptions(inputs: pending, workDirectory: work, threads: threads))
        return try crawl.run()
    }
}

/// The fetch loop's side that touches the catalog and the files; used by one task at a time
/// (the fetcher calls `next` and `write` from its loop only).
private final class FetchLoopState: @unchecked Sendable {
    let store: CatalogStore
    let files: FetchWARCFiles
    private var total = 0
    let progress: (Int, Int, FetchSummary) -> Void
    var summary = FetchSummary()
    private var after: Int64 = 0

    init(store: CatalogStore, files: FetchWARCFiles, progress: @escaping (Int, Int, FetchSummary) -> Void) {
        self.store = store
        self.files = files
        self.progress = progress
    }

    /// A new queue: read it from its start.
    func restart(total: Int) {
        self.total = total
        after = 0
    }

    func next() throws -> [String]? {
        let batch = try store.fetchQueue(after: after, count: 1024)
        guard let last = batch.last else { return nil }
        after = last.seq
        return batch.map(\.url)
    }

    func write(_ result: FetchResult) throws {
        try files.append(result.members)
        summary.add(result)
        progress(summary.urls, total, summary)
    }
}

/// Runs async work to its end from synchronous code (ArgumentParser's `run`): the calling
/// thread waits while the task runs on the concurrency pool.
func runBlocking<T>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let outcome = BlockingOutcome<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { outcome.value = .success(try await body()) } catch { outcome.value = .failure(error) }
        done.signal()
    }
    done.wait()
    return try outcome.value!.get()
}

/// The result `runBlocking`'s task leaves for the waiting thread (written before the signal, read after).
private final class BlockingOutcome<T>: @unchecked Sendable {
    var value: Result<T, Error>?
}
