import Catalog
import CurateCore
import Dispatch
import Foundation

/// What `curate crawl-dump` is asked to do.
public struct CrawlOptions: Sendable {
    public var inputs: [String]
    public var workDirectory: String
    /// Worker threads for parsing pages and hashing images (reading and writing run beside them).
    public var threads: Int
    /// Response and resource records larger than this are skipped as `record_too_large`.
    public var maxRecordBytes: Int
    /// Records (or mirrored files) per batch; the catalog commits after each batch, and a killed run resumes there.
    public var batchRecords: Int
    /// The HTML parser (curate's HTML5 tokenizer by default; libxml2 as the project was specified).
    public var htmlParser: HTMLParserChoice

    public init(inputs: [String], workDirectory: String, threads: Int = 2, maxRecordBytes: Int = 256 << 20, batchRecords: Int = 512,
                htmlParser: HTMLParserChoice = .html5) {
        self.htmlParser = htmlParser
        self.inputs = inputs
        self.workDirectory = workDirectory
        self.threads = max(1, threads)
        self.maxRecordBytes = maxRecordBytes
        self.batchRecords = max(1, batchRecords)
    }

    /// What the runs table records.
    var record: CrawlRun.Options {
        CrawlRun.Options(inputs: inputs, work: workDirectory, threads: threads, maxRecordBytes: maxRecordBytes, batchRecords: batchRecords,
                         htmlParser: htmlParser.rawValue)
    }
}

/// Counts shown while crawl-dump runs.
public struct CrawlProgress: Sendable {
    public var records = 0
    public var pages = 0
    public var images = 0
    /// Image references with a non-empty alt text: the img/alt pairs found so far.
    public var altPairs = 0
    public var bytes: Int64 = 0
    public var seconds = 0.0
}

/// crawl-dump: reads each source into the catalog, then links references to image bytes.
///
/// Each source is read in batches: the calling thread reads records (inflating gzip), worker
/// threads turn a batch into outcomes (HTTP, charset, libxml2 extraction, image probe and
/// SHA-256) while the calling thread writes the previous batch to SQLite and reads the next.
/// Outcomes are written in record order, so ids do not depend on thread timing. After each batch
/// the source's resume point and counts are committed with its rows: a killed run goes on from
/// the last commit, and its catalog equals an uninterrupted run's.
public final class CrawlDump {
    public let options: CrawlOptions
    let catalog: CrawlCatalog
    private var processors: [RecordProcessor]
    public private(set) var counts = SourceCounts()
    public var onProgress: ((CrawlProgress) -> Void)?
    private var progress = CrawlProgress()
    private let started = Date()

    public init(options: CrawlOptions) throws {
        self.options = options
        do {
            try FileManager.default.createDirectory(atPath: options.workDirectory, withIntermediateDirectories: true)
        } catch {
            throw CrawlError.unreadable(path: options.workDirectory, message: "cannot create the work folder: \(error.localizedDescription)")
        }
        catalog = try CrawlCatalog(path: options.workDirectory + "/catalog.sqlite")
        processors = (0..<options.threads).map { _ in RecordProcessor(parser: options.htmlParser) }
    }

    public var catalogPath: String { catalog.db.path }

    /// Runs the whole command; returns the summary.
    public func run() throws -> CrawlSummary {
        let (sources, ignored) = try DumpSource.discover(options.inputs)
        let runID = try catalog.store.startRun(CrawlRun.self, options: options.record, started: started)
        var summary = CrawlSummary()
        summary.ignoredFiles = ignored
        for source in sources {
            let (sha, bytes) = try source.contentHash()
            let existing = try catalog.db.query("SELECT id, status, resume_file, resume_stream, stats, path FROM sources WHERE sha256 = ?", [.text(sha)]).first
            // Paths are stored absolute, so later stages find the dumps from any folder; the same
            // bytes given under another path (a dump that moved) are found there from now on.
            let path = CatalogPaths.absolute(source.path)
            if case .integer(let id)? = existing?[0], existing?[5] != .text(path) {
                try catalog.db.query("UPDATE sources SET path = ? WHERE id = ?", [.text(path), .integer(id)])
            }
            if case .text("done")? = existing?[1] {
                summary.alreadyDone.append(source.path)
                continue
            }
            try catalog.db.execute("BEGIN IMMEDIATE")
            let sourceID: Int64
            var resume: (file: Int64, stream: Int64) = (0, 0)
            var sourceCounts = SourceCounts()
            if let row = existing, case .integer(let id) = row[0] {
                sourceID = id
                if case .integer(let f) = row[2], case .integer(let s) = row[3] { resume = (f, s) }
                if case .text(let stats) = row[4] { sourceCounts = SourceCounts(json: stats) }
            } else {
                try catalog.db.query("INSERT INTO sources (path, kind, sha256, bytes, status, resume_file, resume_stream, stats, run_id) VALUES (?, ?, ?, ?, 'reading', 0, 0, '{}', ?)",
                                     [.text(path), .text(source.kind.rawValue), .text(sha), .integer(bytes), .integer(runID)])
                sourceID = catalog.db.lastInsertRowID
            }
            try catalog.db.execute("COMMIT")
            switch source.kind {
            case .warc: try readWARC(source, id: sourceID, resume: resume, counts: &sourceCounts)
            case .mirror: try readMirror(source, id: sourceID, resume: Int(resume.file), counts: &sourceCounts)
            }
            try catalog.db.query("UPDATE sources SET status = 'done', stats = ? WHERE id = ?", [.text(sourceCounts.json), .integer(sourceID)])
            counts.merge(sourceCounts)
            summary.read.append(source.path)
        }
        try catalog.db.execute("BEGIN IMMEDIATE")
        try catalog.resolve()
        try catalog.db.execute("COMMIT")
        summary.thisRun = counts
        try summary.loadTotals(catalog.db)
        summary.seconds = Date().timeIntervalSince(started)
        try catalog.store.finishRun(CrawlRun.self, id: runID, summary: counts.record)
        return summary
    }

    // MARK: WARC files

    private enum Item { case record(WARCRecord), file(path: String, bytes: [UInt8]), outcome(RecordOutcome) }
    private typealias Batch = (items: [Item], resume: (file: Int64, stream: Int64))

    private func readWARC(_ source: DumpSource, id: Int64, resume: (file: Int64, stream: Int64), counts: inout SourceCounts) throws {
        let stream = try DumpStream(path: source.path, resume: resume.file > 0 ? resume : nil)
        if resume.file == 0 && resume.stream > 0 { _ = stream.skip(resume.stream) }
        let reader = WARCReader(stream: stream, maxBlockBytes: options.maxRecordBytes)
        var finished = false
        try pipeline(sourceID: id, path: nil, counts: &counts) {
            guard !finished else { return nil }
            var items: [Item] = []
            var bytes = 0
            while items.count < self.options.batchRecords && bytes < 64 << 20 {
                guard let event = reader.next() else { finished = true; break }
                switch event {
                case .record(let r): items.append(.record(r)); bytes += r.block.count
                case .skipped(let s): items.append(.outcome(.skipped(s)))
                case .gap: items.append(.outcome(.other("gap_between_records")))
                }
            }
            let point = stream.resumePoint()
            return (items, point)
        }
    }

    // MARK: mirrors

    private func readMirror(_ source: DumpSource, id: Int64, resume: Int, counts: inout SourceCounts) throws {
        let files = source.mirrorFiles()
        let root = source.path.hasSuffix("/") ? source.path : source.path + "/"
        var next = resume
        try pipeline(sourceID: id, path: root, counts: &counts) {
            guard next < files.count else { return nil }
            var items: [Item] = []
            while next < files.count && items.count < self.options.batchRecords {
                let file = files[next]
                next += 1
                switch FileList.read(root + file) {
                case .success(let bytes): items.append(.file(path: file, bytes: bytes))
                case .failure(let error): items.append(.outcome(.skipped(CrawlSkip(offset: 0, reason: .unreadable, detail: "\(file): \(error.message)"))))
                }
            }
            return (items, (Int64(next), 0))
        }
    }

    // MARK: the batch pipeline

    /// One batch: its items, and one result slot per item that exactly one worker fills.
    private final class Job: @unchecked Sendable {
        let items: [Item]
        let results: UnsafeMutableBufferPointer<RecordOutcome?>
        let group = DispatchGroup()
        init(items: [Item]) {
            self.items = items
            results = .allocate(capacity: items.count)
            results.initialize(repeating: nil)
        }
        deinit {
            results.deinitialize()
            results.deallocate()
        }
    }

    /// Reads batches with `nextBatch` (items and the resume point after them) on a reader thread
    /// of its own, processes each on the workers while the previous one is written on this
    /// thread, commits after each batch. The reader stays at most two batches ahead.
    private func pipeline(sourceID: Int64, path: String?, counts: inout SourceCounts,
                          nextBatch: @escaping () throws -> Batch?) throws {
        let queue = BatchQueue(capacity: 2)
        let reader = UncheckedBox(nextBatch)
        let readerDone = DispatchSemaphore(value: 0)
        Thread {
            defer { readerDone.signal() }
            while true {
                do {
                    guard let batch = try reader.value() else { queue.put(.end); return }
                    guard queue.put(.batch(batch)) else { return }   // the writer stopped
                } catch {
                    queue.put(.failed(error))
                    return
                }
            }
        }.start()
        // However this ends, the reader stops before the stream it reads goes away.
        defer { queue.cancel(); readerDone.wait() }
        var pending: (job: Job, resume: (file: Int64, stream: Int64))?
        while true {
            let batch: Batch? = try queue.take()
            // The workers' processors are reused: the previous batch must be done before the next starts.
            pending?.job.group.wait()
            let job = batch.map { start(Job(items: $0.items)) }
            if let (previous, resume) = pending {
                try write(previous, sourceID: sourceID, path: path, resume: resume, counts: &counts)
            }
            guard let job, let batch else { return }
            pending = (job, batch.resume)
        }
    }

    private func start(_ job: Job) -> Job {
        let next = Counter()
        let processors = self.processors
        for worker in 0..<processors.count {
            DispatchQueue.global().async(group: job.group) {
                let processor = processors[worker]
                while let i = next.take(below: job.items.count) {
                    switch job.items[i] {
                    case .outcome(let o): job.results[i] = o
                    case .record(let r): job.results[i] = processor.process(r)
                    case .file(let path, let bytes):
                        job.results[i] = processor.payload(bytes, url: DumpSource.mirrorURL(relativePath: path), path: path,
                                                           location: RecordLocation(codec: "none", offset: 0, length: Int64(bytes.count)),
                                                           status: nil, mediaType: nil, charset: nil, digest: nil, via: "mirror")
                    }
                }
            }
        }
        return job
    }

    private func write(_ job: Job, sourceID: Int64, path: String?, resume: (file: Int64, stream: Int64), counts: inout SourceCounts) throws {
        let db = catalog.db
        try db.execute("BEGIN IMMEDIATE")
        for (i, item) in job.items.enumerated() {
            guard let outcome = job.results[i] else { continue }
            var itemPath: String?
            if case .file(let p, let bytes) = item { itemPath = p; progress.bytes += Int64(bytes.count) }
            if case .record(let r) = item { progress.bytes += Int64(r.block.count) }
            progress.records += 1
            switch outcome {
            case .page(let page):
                try catalog.add(page: page, sourceID: sourceID)
                counts.add("pages")
                counts.add("sentences", page.extracted.sentenceSpans.count)
                counts.add("image_references", page.extracted.references.count)
                let alts = page.extracted.references.filter { !($0.alt ?? "").isEmpty }.count
                counts.add("alt_texts", alts)
                progress.pages += 1
                progress.altPairs += alts
            case .image(let image):
                try catalog.add(image: image, sourceID: sourceID)
                counts.add("image_records")
                progress.images += 1
            case .revisit(let revisit):
                try catalog.add(revisit: revisit, sourceID: sourceID)
                counts.add("revisits")
            case .redirect(let from, let to, let status):
                try catalog.add(redirect: from, to: to, status: status, sourceID: sourceID)
                counts.add("redirects")
            case .fetchOutcome(let outcome):
                try catalog.add(fetchOutcome: outcome, sourceID: sourceID)
                counts.add("fetch_outcomes")
            case .skipped(let skip):
                try catalog.add(skip: skip, path: itemPath ?? path.map { _ in "" }, sourceID: sourceID)
                counts.skip(skip.reason)
            case .other(let name):
                counts.add("other." + name)
            }
        }
        try db.query("UPDATE sources SET resume_file = ?, resume_stream = ?, stats = ? WHERE id = ?",
                     [.integer(resume.file), .integer(resume.stream), .text(counts.json), .integer(sourceID)])
        try db.execute("COMMIT")
        progress.seconds = Date().timeIntervalSince(started)
        onProgress?(progress)
    }
}

/// Batches from the reader thread to the writer, at most `capacity` waiting.
private final class BatchQueue: @unchecked Sendable {
    enum Entry { case batch(Any), end, failed(Error) }
    private var entries: [Entry] = []
    private var cancelled = false
    private let capacity: Int
    private let condition = NSCondition()

    init(capacity: Int) { self.capacity = capacity }

    /// Waits for room; false when the writer cancelled (the entry is dropped).
    @discardableResult
    func put(_ entry: Entry) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while entries.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        entries.append(entry)
        condition.broadcast()
        return true
    }

    /// The next batch, nil at the end; rethrows the reader's error.
    func take<T>() throws -> T? {
        condition.lock()
        defer { condition.unlock() }
        while entries.isEmpty { condition.wait() }
        let entry = entries.removeFirst()
        condition.broadcast()
        switch entry {
        case .batch(let batch): return (batch as! T)
        case .end: entries.insert(.end, at: 0); return nil
        case .failed(let error): throw error
        }
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}

/// A value handed to one other thread, which alone uses it from then on.
private final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A shared index handed out once each, to the worker threads.
private final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func take(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}
