import Align
import ArgumentParser
import Catalog
import Crawl
import CurateCore
import Fetch
import Foundation
import Shards

// The tasks of weak-pairs and build-shards over units (TaskCommand.swift has the protocol; README,
// "Running on a cluster", the phases). Each reads what the engine wrote for its unit and writes
// whole files under WORK/units/UNIT/ (or the shard folder), or answers on stdout.

/// One line of WORK/units/U/ids.jsonl (`t`: counts, captured, first_ref, holds) or of the
/// engine's numbering for the unit, global-ids.jsonl (`t`: offsets, image).
struct IDLine: Codable {
    var t: String
    var unit: String?
    var sha: String?
    var local: Int64?
    var url: String?
    var ref: Int64?
    var pageURL: String?
    var id: Int64?
    var counts: UnitCounts?

    enum CodingKeys: String, CodingKey { case t, unit, sha, local, url, ref, id, counts, pageURL = "page_url" }
}

extension UnitTask {
    func stageTask(_ name: String) throws -> [String: Any]? {
        switch name {
        case "ids": return try ids()
        case "weak-contexts": return try weakContexts()
        case "weak-tags": return try weakTags()
        case "weak-stats": return try weakStats()
        case "weak-search": return try weakSearch()
        case "shard-samples": return try shardSamples()
        case "shard-plan": return try shardPlan()
        case "text-pair-candidates": return try textPairCandidates()
        case "write-shard": return try writeShard()
        case "write-textpair-shard": return try writeTextPairShard()
        case "shard-index": return try shardIndex()
        case "fetch-wants": return try fetchWants()
        case "fetch": return try fetch()
        default: return nil
        }
    }

    var catalogPath: String { get throws { try unitFolder + "/catalog.sqlite" } }

    /// The JSON lines the engine pipes in on stdin.
    func stdinLines<T: Decodable>(_ type: T.Type) throws -> [T] {
        var input: [UInt8] = []
        while let line = readLine(strippingNewline: false) { input += Array(line.utf8) }
        return try JSONLines.decode(type, input, source: "stdin")
    }

    /// What the engine numbers the crawl's rows and images from.
    func ids() throws -> [String: Any] {
        let store = try CatalogStore(path: catalogPath)
        var lines = [IDLine(t: "counts", counts: try store.unitCounts())]
        try store.forEachCapturedImage { id, sha, url in lines.append(IDLine(t: "captured", sha: sha, local: id, url: url ?? "")) }
        try store.forEachImageFirstReference { sha, ref, page in lines.append(IDLine(t: ref == nil ? "holds" : "first_ref", sha: sha, ref: ref, pageURL: page)) }
        let unit = try string("unit")
        for k in lines.indices { lines[k].unit = unit }
        try AtomicFile.write(try JSONLines.encode(lines), to: try unitFolder + "/ids.jsonl")
        return ["lines": lines.count]
    }

    /// The engine's numbering for this unit: its offsets and its images' numbers.
    func numbering() throws -> (offsets: UnitCounts, images: [String: BuildShardsUnits.ImageNumber]) {
        var offsets = UnitCounts(), images: [String: BuildShardsUnits.ImageNumber] = [:]
        for line in try JSONLines.read(IDLine.self, path: try unitFolder + "/global-ids.jsonl") {
            if line.t == "offsets", let counts = line.counts { offsets = counts }
            if line.t == "image", let sha = line.sha, let id = line.id { images[sha] = .init(id: id, url: line.url ?? "", pageURL: line.pageURL ?? "") }
        }
        return (offsets, images)
    }

    // MARK: weak-pairs

    func weakContexts() throws -> [String: Any] {
        let (offsets, images) = try numbering()
        let lines = try WeakPairsUnits.contexts(catalogPath: catalogPath, image: { images[$0].map { ($0.id, $0.url) } },
                                                refOffset: offsets.refs, pageOffset: offsets.pages)
        try FileManager.default.createDirectory(atPath: try unitFolder + "/weak", withIntermediateDirectories: true)
        try AtomicFile.write(try JSONLines.encode(lines), to: try unitFolder + "/weak/contexts.jsonl")
        return ["images": lines.count]
    }

    /// Merged contexts on stdin (one per line): the selected images' tags on stdout.
    func weakTags() throws -> [String: Any] {
        let lines = try stdinLines(WeakPairsUnits.ContextLine.self)
        let tagged = try WeakPairsUnits.tags(lines, detections: fields["detections"] as? String, allImages: fields["all_images"] as? Bool ?? false)
        FileHandle.standardOutput.write(Data(try JSONLines.encode(tagged)))
        return ["images": tagged.count]
    }

    func weakStats() throws -> [String: Any] {
        let stems = try JSONLines.read(String.self, path: try string("stems"))
        let stats = try WeakPairsUnits.statistics(catalogPath: catalogPath, stems: stems)
        try AtomicFile.write(try JSONLines.encode([stats]), to: try unitFolder + "/weak/stats.jsonl")
        return ["rows": stats.rows]
    }

    func weakSearch() throws -> [String: Any] {
        let (offsets, _) = try numbering()
        // The queries: a file, or the engine's folder of parts (every executor writes one).
        let path = try string("queries")
        var isFolder: ObjCBool = false
        let files = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
            ? try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".jsonl") }.sorted().map { path + "/" + $0 } : [path]
        let queries = try files.flatMap { try JSONLines.read(WeakPairsUnits.TagLine.self, path: $0) }
        guard let stats = try JSONLines.read(BM25Statistics.self, path: try string("statistics")).first else { throw CommandFailure("weak-search: the statistics file is empty") }
        let hits = try WeakPairsUnits.search(catalogPath: catalogPath, queries: queries, statistics: stats, k: int("k", default: 5),
                                             requireTagWord: fields["require_tag_word"] as? Bool ?? false, sentenceOffset: offsets.sentences)
        try AtomicFile.write(try JSONLines.encode(hits), to: try unitFolder + "/weak/hits.jsonl")
        return ["queries": hits.count]
    }

    // MARK: build-shards

    /// build-shards' options, from the same arguments `curate build-shards` takes ("args").
    func shardOptions() throws -> BuildShardsOptions {
        var arguments = strings("args")
        if let out = fields["out"] as? String { arguments += ["--out", out] }
        if let work = fields["work"] as? String { arguments += ["--work", work] }
        do {
            return try Curate.BuildShardsCommand.parse(arguments).options
        } catch {
            throw CommandFailure("the build-shards arguments \(arguments) are not valid: \(Curate.BuildShardsCommand.message(for: error))")
        }
    }

    func shardSamples() throws -> [String: Any] {
        let (offsets, images) = try numbering()
        let weakPath = try unitFolder + "/weak/pairs.jsonl"
        let weak = FileManager.default.fileExists(atPath: weakPath) ? try JSONLines.read(BuildShardsUnits.WeakPairLine.self, path: weakPath) : []
        let lines = try BuildShardsUnits.samples(catalogPath: catalogPath, seed: try shardOptions().seed, numbers: images, pairOffset: offsets.pairs, weak: weak)
        try FileManager.default.createDirectory(atPath: try unitFolder + "/shards", withIntermediateDirectories: true)
        try AtomicFile.write(try JSONLines.encode(lines), to: try unitFolder + "/shards/samples.jsonl")
        return ["samples": lines.count]
    }

    func shardPlan() throws -> [String: Any] {
        let plan = BuildShardsUnits.plan(total: int("total", default: 0), train: (fields["train"] as? NSNumber)?.intValue, options: try shardOptions())
        var out: [String: Any] = ["validation": plan.validation, "shard_samples": try shardOptions().shardSamples]
        if let pairs = plan.textPairs { out["text_pairs"] = pairs }
        return out
    }

    func textPairCandidates() throws -> [String: Any] {
        let (offsets, _) = try numbering()
        let lines = try BuildShardsUnits.textPairCandidates(catalogPath: catalogPath, seed: try shardOptions().seed, sentenceOffset: offsets.sentences,
                                                            count: int("count", default: 0))
        try FileManager.default.createDirectory(atPath: try unitFolder + "/shards", withIntermediateDirectories: true)
        try AtomicFile.write(try JSONLines.encode(lines), to: try unitFolder + "/shards/textpairs.jsonl")
        return ["candidates": lines.count]
    }

    /// One shard from its inputs in order on stdin.
    func writeShard() throws -> [String: Any] {
        let lines = try stdinLines(BuildShardsUnits.PendingLine.self)
        let prefix = try string("prefix")
        let (stats, skipped) = try BuildShardsUnits.writeShard(options: try shardOptions(), prefix: prefix, key: prefix == "val" ? "v" : "t",
                                                               index: int("index", default: 0), inputs: lines, read: StoredPayload.reader)
        return ["shard": stats.shard, "samples": stats.samples, "bytes": stats.bytes, "skipped": skipped]
    }

    func writeTextPairShard() throws -> [String: Any] {
        let lines = try stdinLines(BuildShardsUnits.TextPairLine.self)
        let stats = try BuildShardsUnits.writeTextPairShard(options: try shardOptions(), index: int("index", default: 0), inputs: lines)
        return ["shard": stats.shard, "samples": stats.samples]
    }

    /// sizes.json and manifest.json, with the rules of the first unit's filter run.
    func shardIndex() throws -> [String: Any] {
        let store = try CatalogStore(path: catalogPath)
        guard let filterRun = try store.lastFilterRun() else { throw CommandFailure("unit \(try string("unit")) has no filter run") }
        let weak = WeakPairsRun.Options(k: int("k", default: 5), allImages: fields["all_images"] as? Bool ?? false, excludeOwnPages: false,
                                        requireTagWord: fields["require_tag_word"] as? Bool ?? false, detections: fields["detections"] as? String, corpus: [])
        let counts = try BuildShardsUnits.writeIndex(options: try shardOptions(), filterRules: filterRun.options.rules, weakPairs: weak)
        return counts
    }
}

// MARK: fetch

extension UnitTask {
    /// The URLs a unit's missing references would have fetched first (curate fetch's first
    /// round), as JSON lines `{"url", "host"}` in WORK/units/U/fetch-wants.jsonl; the engine
    /// groups them by host into fetch units, so politeness per host holds within one.
    func fetchWants() throws -> [String: Any] {
        let folder = try requireUnit()
        let store = try CatalogStore(path: folder + "/catalog.sqlite")
        let count = try store.makeFetchQueue(limit: nil)
        var lines: [String] = []
        var after: Int64 = 0
        while case let batch = try store.fetchQueue(after: after, count: 4096), let last = batch.last {
            for (_, url) in batch {
                let host = URL(string: url)?.host?.lowercased() ?? ""
                lines.append(try Curate.TaskCommand.line(["url": url, "host": host]))
            }
            after = last.seq
        }
        try AtomicFile.write(Array(lines.map { $0 + "\n" }.joined().utf8), to: folder + "/fetch-wants.jsonl")
        return ["unit": try string("unit"), "urls": count]
    }

    /// One fetch unit: the URLs of `urls` (a file, one per line; the engine put one host's URLs
    /// in one unit) fetched into WORK/fetch/UNIT/fetched/ with `args` (curate fetch's options),
    /// in that folder's own catalog, so a retried or re-run task fetches only what no whole file
    /// answers. The engine then crawls the files as a unit of the crawl.
    func fetch() throws -> [String: Any] {
        let work = try string("work"), unit = try string("unit"), urlsPath = try string("urls")
        guard let text = try? String(contentsOfFile: urlsPath, encoding: .utf8) else { throw CommandFailure("cannot read the URL list \(urlsPath)") }
        let folder = work + "/fetch/" + unit
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let lock = try lockFolders([folder])
        defer { withExtendedLifetime(lock) {} }
        _ = try CatalogStore(path: folder + "/catalog.sqlite", create: true)
        let command: Curate.FetchCommand
        do { command = try Curate.FetchCommand.parse(strings("args")) } catch { throw CommandFailure("fetch task args: \(Curate.FetchCommand.message(for: error))") }
        var options = command.fetchOptions
        options.rounds = 1
        let job = FetchJob(work: folder, out: folder + "/fetched", options: options, threads: int("threads", default: 1),
                           urls: text.split(separator: "\n").map(String.init).filter { !$0.isEmpty })
        let report = try job.run()
        return ["unit": unit, "urls": report.summary.urls, "images": report.summary.images, "outcomes": report.summary.outcomes,
                "files": FetchFolder.finishedFiles(in: folder + "/fetched")]
    }
}
