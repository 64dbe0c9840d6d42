import Catalog
import CurateCore
import Foundation
import Render

/// build-shards over units (README: "Running on a cluster"): each unit lists its pending samples
/// with the numbers one catalog of the whole crawl would give them (so the shuffle order is the
/// same), the engine sorts them, takes whole images into validation by their hash as one catalog
/// does, and cuts the order into ranges of `shard-samples` inputs: each range is one shard, which
/// any machine writes alone (`ShardWriter.writeShard`) with the bytes one writer gives.
public enum BuildShardsUnits {
    /// A pending sample as the engine sorts and splits it: `order` (then `image`) is the shuffle,
    /// `split` the image's hash for the validation split.
    public struct PendingLine: Codable, Sendable {
        public var order: UInt64
        public var image: Int64
        public var sha: String
        public var split: UInt64
        public var text: String
        public var source: String
        public var pageURL: String
        public var imageURL: String
        public var width: Int, height: Int
        public var location: StoredImageLocation
        public var tags: [String]?
        public var rank: Int?
        public var score: Double?
        public var language: SampleLanguage?

        enum CodingKeys: String, CodingKey {
            case order, image, sha, split, text, source, width, height, location, tags, rank, score, language
            case pageURL = "page_url", imageURL = "image_url"
        }

        var pending: PendingSample {
            PendingSample(order: order, imageID: image, imageSHA: sha, text: text, source: SampleMetadata.TextSource(rawValue: source) ?? .alt,
                          pageURL: pageURL, imageURL: imageURL, width: width, height: height,
                          weak: tags.map { ($0, rank ?? 0, score ?? 0) }, language: language)
        }
    }

    /// A weak pair (the engine's merge of the units' best sentences), for the unit that owns its image.
    public struct WeakPairLine: Codable, Sendable {
        public var sha: String
        public var image: Int64
        public var rank: Int
        public var text: String
        public var score: Double
        public var tags: [String]
        public init(sha: String, image: Int64, rank: Int, text: String, score: Double, tags: [String]) {
            self.sha = sha; self.image = image; self.rank = rank; self.text = text; self.score = score; self.tags = tags
        }
    }

    /// A text-pair candidate: a sentence (its number over the crawl) and the next on its page.
    public struct TextPairLine: Codable, Sendable {
        public var order: UInt64
        public var id: Int64
        public var text: String
        public var next: String
    }

    /// An image's number, first URL and the page of its first reference over the whole crawl.
    public struct ImageNumber: Codable, Sendable {
        public var id: Int64
        public var url: String
        public var pageURL: String
        enum CodingKeys: String, CodingKey { case id, url, pageURL = "page_url" }
        public init(id: Int64, url: String, pageURL: String) { self.id = id; self.url = url; self.pageURL = pageURL }
    }

    /// The unit's kept pairs and the weak pairs of the images it owns, as pending samples.
    public static func samples(catalogPath: String, seed: UInt64, numbers: [String: ImageNumber], pairOffset: Int64, weak: [WeakPairLine]) throws -> [PendingLine] {
        let store = try CatalogStore(path: catalogPath)
        var out: [PendingLine] = []
        try store.forEachKeptPairWithImage { id, sha, width, height, text, source, pageURL, location, language in
            guard let number = numbers[sha] else { throw ShardsError.unit("image \(sha) has no number; was the engine's numbering given for this unit?") }
            guard source != "weak", SampleMetadata.TextSource(rawValue: source) != nil else {
                throw ShardsError.catalog("pair \(id) has text_source '\(source)', which build-shards does not know; was the catalog written by a newer curate?")
            }
            out.append(PendingLine(order: BuildShards.hash(seed, "pair", String(id + pairOffset)), image: number.id, sha: sha, split: BuildShards.hash(seed, "split", sha),
                                   text: text, source: source, pageURL: pageURL, imageURL: number.url, width: width, height: height, location: location,
                                   language: language))
        }
        for pair in weak {
            guard let number = numbers[pair.sha], let image = try store.keptImage(sha256: pair.sha) else { continue }
            out.append(PendingLine(order: BuildShards.hash(seed, "weak", String(number.id), String(pair.rank)), image: number.id, sha: pair.sha,
                                   split: BuildShards.hash(seed, "split", pair.sha), text: pair.text, source: "weak", pageURL: number.pageURL, imageURL: number.url,
                                   width: image.width, height: image.height, location: image.location, tags: pair.tags, rank: pair.rank, score: pair.score))
        }
        return out
    }

    /// How many samples validation takes and, once the train count is known, how many text pairs.
    public static func plan(total: Int, train: Int?, options: BuildShardsOptions) -> (validation: Int, textPairs: Int?) {
        let pairs = train.map { train in options.textPairsRatio.map { Int((Double(train) * $0).rounded()) } ?? options.textPairs }
        return (BuildShards.validationTarget(total: total, options: options), pairs)
    }

    /// The unit's best `count` text-pair candidates in the shuffle (the engine keeps the best over all).
    public static func textPairCandidates(catalogPath: String, seed: UInt64, sentenceOffset: Int64, count: Int) throws -> [TextPairLine] {
        guard count > 0 else { return [] }
        let store = try CatalogStore(path: catalogPath)
        var out: [TextPairLine] = []
        try store.forEachSentenceAndNext { id, text, next in
            let global = id + sentenceOffset
            out.append(TextPairLine(order: BuildShards.hash(seed, "textpair", String(global)), id: global, text: text, next: next))
        }
        return Array(out.sorted { ($0.order, $0.id) < ($1.order, $1.id) }.prefix(count))
    }

    /// Writes shard `index` of a split from its inputs in order (`key`: t, v), reading images
    /// with `read`; returns its stats and the inputs skipped by reason.
    public static func writeShard(options: BuildShardsOptions, prefix: String, key: String, index: Int, inputs: [PendingLine],
                                  read: @escaping StoredImageReader) throws -> (stats: ShardStats, skipped: [String: Int]) {
        let maker = SampleMaker(options: options, renderer: try TextRenderer(font: Unifont.load(), options: options.render), read: read)
        let pending = inputs.map(\.pending)
        var samples: [Sample?] = [], skipped: [String: Int] = [:]
        for start in stride(from: 0, to: pending.count, by: 64) {
            let batch = Array(pending[start..<min(start + 64, pending.count)])
            let locations = Dictionary(inputs[start..<min(start + 64, inputs.count)].map { ($0.image, $0.location) }, uniquingKeysWith: { a, _ in a })
            for made in maker.make(batch, firstPosition: index * options.shardSamples + start, key: key, location: { locations[$0.imageID] }) {
                switch made {
                case .success(let sample): samples.append(sample)
                case .failure(let failed): samples.append(nil); skipped[failed.reason, default: 0] += 1
                }
            }
        }
        do {
            return (try ShardWriter.writeShard(folder: options.outDirectory, prefix: prefix, index: index, maxSamples: options.shardSamples,
                                               maxBytes: options.shardBytes, inputs: samples), skipped)
        } catch let error as ShardWriter.TooLarge {
            throw ShardsError.shardTooLarge(error.description)
        }
    }

    /// Writes text-pair shard `index` from its candidates in order.
    public static func writeTextPairShard(options: BuildShardsOptions, index: Int, inputs: [TextPairLine]) throws -> ShardStats {
        let renderer = try TextRenderer(font: Unifont.load(), options: options.render)
        let samples: [Sample?] = try inputs.enumerated().map { offset, pair in
            try SampleMaker.textPair(position: index * options.shardSamples + offset, first: pair.text, next: pair.next, renderer: renderer)
        }
        return try ShardWriter.writeShard(folder: options.outDirectory, prefix: "textpairs", index: index, maxSamples: options.shardSamples,
                                          maxBytes: options.shardBytes, inputs: samples)
    }

    /// sizes.json and manifest.json from the shards' stats files in the folder, as one catalog's run writes them.
    public static func writeIndex(options: BuildShardsOptions, filterRules: String, weakPairs: WeakPairsRun.Options?) throws -> [String: Int] {
        var splits: [(String, [ShardStats])] = []
        var counts: [String: Int] = [:]
        for split in ["train", "val", "textpairs"] {
            var stats: [ShardStats] = []
            while let found = ShardWriter.readStats(options.outDirectory + "/" + ShardWriter.name(split, stats.count) + ".stats.json") { stats.append(found) }
            splits.append((split, stats))
            counts[split] = stats.reduce(0) { $0 + $1.samples }
        }
        try BuildShards.writeIndex(splits, options: options, filterRules: filterRules, weakPairs: weakPairs)
        return counts
    }
}
