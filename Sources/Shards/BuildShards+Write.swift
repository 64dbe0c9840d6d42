import Catalog
import CurateCore
import Dispatch
import Foundation
import Imaging
import Synchronization

/// An image of a batch, resized and encoded, or the reason it could not be.
enum Made: Sendable { case jpeg([UInt8]), failed(String) }

extension BuildShards {
    public func run() throws -> BuildShardsSummary {
        let started = Date()
        var summary = BuildShardsSummary()
        do {
            let pending = try pendingSamples()
            try startOrResume(pending)
            let (train, val) = split(pending)
            let locations = try store.imageLocations()
            let trainShards = try write(train, prefix: "train", key: "t", locations: locations, summary: &summary)
            let valShards = try write(val, prefix: "val", key: "v", locations: locations, summary: &summary)
            let pairCount = options.textPairsRatio.map { Int((Double(train.count) * $0).rounded()) } ?? options.textPairs
            let pairShards = try writeTextPairs(pairCount)
            summary.train = trainShards.reduce(0) { $0 + $1.samples }
            summary.val = valShards.reduce(0) { $0 + $1.samples }
            summary.textPairs = pairShards.reduce(0) { $0 + $1.samples }
            (summary.trainShards, summary.valShards, summary.textPairShards) = (trainShards.count, valShards.count, pairShards.count)
            try writeIndex([("train", trainShards), ("val", valShards), ("textpairs", pairShards)])
        } catch let error as SQLiteError {
            throw ShardsError.catalog(error.description)
        } catch let error as AtomicFile.WriteError {
            throw ShardsError.cannotWrite(path: error.path, message: error.message, diskFull: error.diskFull)
        } catch let error as ShardWriter.TooLarge {
            throw ShardsError.shardTooLarge(error.description)
        }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    /// A run resumes only the shards of the same inputs: the options, the filter and weak-pair runs
    /// and the samples, hashed into OUT/.curate-build-key. Different inputs start the folder afresh
    /// (curate's own files only: shards, their stats, sizes.json, manifest.json).
    func startOrResume(_ pending: [PendingSample]) throws {
        var identity = "\(options.seed) \(options.shardSamples) \(options.shardBytes) \(options.valFraction) \(options.valMinimum) "
        identity += "\(options.resize) \(options.jpegQuality) \(options.textPairs) \(options.textPairsRatio ?? -1) "
        if options.render != .clippo { identity += "render \(options.render.imageSize) \(options.render.fontSize) " }
        identity += "filter run \(filterRun.id) weak-pairs run \(weakPairsRun.map { String($0.id) } ?? "-") \(pending.count)"
        var digest = Self.hash(options.seed, identity)
        for p in pending { digest = Self.hash(digest, String(p.order), p.text) }
        let key = String(format: "%016llx\n", digest)
        let keyPath = options.outDirectory + "/.curate-build-key"
        let known = (try? String(contentsOfFile: keyPath, encoding: .utf8)) ?? ""
        guard known != key else { return }
        try FileManager.default.createDirectory(atPath: options.outDirectory, withIntermediateDirectories: true)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: options.outDirectory)) ?? [] {
            let ours = ["train-", "val-", "textpairs-"].contains { name.hasPrefix($0) } && (name.hasSuffix(".tar") || name.hasSuffix(".tar.stats.json"))
            if ours || name == "sizes.json" || name == "manifest.json" { try FileManager.default.removeItem(atPath: options.outDirectory + "/" + name) }
        }
        try AtomicFile.write(Array(key.utf8), to: keyPath)
    }

    /// Makes and writes one split's samples, 64 at a time, resuming after the shards a previous
    /// run finished.
    func write(_ samples: [PendingSample], prefix: String, key: String, locations: [Int64: StoredImageLocation],
               summary: inout BuildShardsSummary) throws -> [ShardStats] {
        let writer = try ShardWriter(folder: options.outDirectory, prefix: prefix, maxSamples: options.shardSamples, maxBytes: options.shardBytes)
        let maker = SampleMaker(options: options, renderer: renderer, read: read)
        var position = writer.inputsDone
        while position < samples.count {
            let batch = Array(samples[position..<min(position + 64, samples.count)])
            for sample in maker.make(batch, firstPosition: position, key: key, location: { locations[$0.imageID] }) {
                switch sample {
                case .failure(let failed):
                    summary.skipped[failed.reason, default: 0] += 1
                    try writer.skip()
                case .success(let sample):
                    try writer.add(sample)
                }
            }
            position += batch.count
        }
        try writer.finish()
        return writer.finished
    }

    /// CLIPPO's text/text pairs: `count` pairs of consecutive sentences of one page (chosen by hash
    /// order), each sentence and its render: KEY.txt, KEY.next.txt, KEY.render.png, KEY.next.render.png.
    func writeTextPairs(_ count: Int) throws -> [ShardStats] {
        guard count > 0 else { return [] }
        var candidates: [(UInt64, Int64)] = []
        try store.forEachSentenceWithNext { id in candidates.append((Self.hash(options.seed, "textpair", String(id)), id)) }
        let chosen = candidates.sorted { $0 < $1 }.prefix(count).map(\.1)
        let writer = try ShardWriter(folder: options.outDirectory, prefix: "textpairs", maxSamples: options.shardSamples, maxBytes: options.shardBytes)
        for (position, id) in chosen.enumerated() where position >= writer.inputsDone {
            guard let (first, next) = try store.sentenceAndNext(id) else { try writer.skip(); continue }
            try writer.add(try SampleMaker.textPair(position: position, first: first, next: next, renderer: renderer))
        }
        try writer.finish()
        return writer.finished
    }

    /// sizes.json (shard → samples, as open_clip reads it) and manifest.json (per shard: split,
    /// samples, bytes, SHA-256; the rules and options that made them). No timestamps: the same
    /// catalog and options give the same bytes.
    func writeIndex(_ splits: [(String, [ShardStats])]) throws {
        try Self.writeIndex(splits, options: options, filterRules: filterRun.options.rules, weakPairs: weakPairsRun?.options)
    }

    static func writeIndex(_ splits: [(String, [ShardStats])], options: BuildShardsOptions, filterRules: String, weakPairs: WeakPairsRun.Options?) throws {
        var sizes: [String: Int] = [:], shards: [[String: Any]] = []
        for (split, stats) in splits {
            for s in stats {
                sizes[s.shard] = s.samples
                shards.append(["shard": s.shard, "split": split, "samples": s.samples, "bytes": s.bytes, "sha256": s.sha256])
            }
        }
        let manifest: [String: Any] = [
            "curate_version": CurateVersion.string,
            "filter_rules": filterRules,
            "weak_pairs": try weakPairs.map { try JSONSerialization.jsonObject(with: Data(CatalogJSON.encode($0).utf8)) } ?? NSNull(),
            "options": ["seed": options.seed, "shard_samples": options.shardSamples, "shard_bytes": options.shardBytes,
                        "val_fraction": options.valFraction, "val_minimum": options.valMinimum, "resize": "\(options.resize)",
                        "jpeg_quality": options.jpegQuality,
                        "render": "Unifont \(options.render.imageSize)x\(options.render.imageSize), font size \(options.render.fontSize) (big_vision render_unifont)",
                        "render_size": options.render.imageSize, "render_font_size": options.render.fontSize] as [String: Any],
            "shards": shards,
        ]
        let json: ([String: Any]) throws -> [UInt8] = { Array(try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) + [0x0A] }
        try AtomicFile.write(try json(sizes), to: options.outDirectory + "/sizes.json")
        try AtomicFile.write(try json(manifest), to: options.outDirectory + "/manifest.json")
    }
}
