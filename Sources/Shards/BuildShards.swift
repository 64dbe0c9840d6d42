import Catalog
import Crypto
import CurateCore
import Dispatch
import Foundation
import Imaging
import Render

public struct BuildShardsOptions: Sendable {
    public var workDirectory: String
    public var outDirectory: String
    public var seed: UInt64 = 0
    /// Samples per shard (every full shard holds exactly this many) and the byte cap.
    public var shardSamples = 1000
    public var shardBytes = 1 << 30
    /// Validation split: about this fraction of the samples, whole images, chosen by image hash.
    public var valFraction = 0.02
    /// ... but at least this many samples when the data has five times as many.
    public var valMinimum = 300
    /// How images are resized: big_vision's plain 224×224 or shorter side 256 (the default).
    public var resize = ResizeMode.shorterSide(256)
    public var jpegQuality = 95
    /// Text/text pairs: a count, or with `textPairsRatio` a fraction of the image samples.
    public var textPairs = 0
    public var textPairsRatio: Double?
    /// How captions are rendered into render.png: CLIPPO's 224 px at Unifont size 16 by default;
    /// the size of the model the shards are for (the trainer uses a render that fits as it is).
    public var render = RenderOptions.clippo

    public init(workDirectory: String, outDirectory: String) {
        self.workDirectory = workDirectory
        self.outDirectory = outDirectory
    }
}

public struct BuildShardsSummary: Sendable {
    public var train = 0, val = 0, textPairs = 0
    public var trainShards = 0, valShards = 0, textPairShards = 0
    public var skipped: [String: Int] = [:]
    public var seconds = 0.0

    public var text: String {
        var out = "wrote \(train) train samples in \(trainShards) shards, \(val) validation samples in \(valShards), \(textPairs) text pairs in \(textPairShards)"
        if !skipped.isEmpty { out += "; skipped " + skipped.keys.sorted().map { "\(skipped[$0]!) \($0)" }.joined(separator: ", ") }
        return out + String(format: " (%.1f s)", seconds)
    }
}

/// One image/text sample before it is made.
struct PendingSample {
    var order: UInt64          // position in the shuffled order (hash of seed and identity)
    var imageID: Int64
    var imageSHA: String
    var text: String
    var source: SampleMetadata.TextSource
    var pageURL: String
    var imageURL: String
    var width: Int, height: Int
    var weak: (tags: [String], rank: Int, score: Double)?
    var language: SampleLanguage? = nil
}

/// `curate build-shards`: kept pairs and weak pairs → WebDataset shards (README: "Shards").
public final class BuildShards {
    let options: BuildShardsOptions
    let store: CatalogStore
    var db: SQLiteDatabase { store.db }
    /// The filter run (and the weak-pairs run, if any) the shards are made from.
    let filterRun: Run<FilterRun>
    let weakPairsRun: Run<WeakPairsRun>?
    let read: StoredImageReader
    let renderer: TextRenderer

    public init(options: BuildShardsOptions, read: @escaping StoredImageReader) throws {
        let path = options.workDirectory + "/catalog.sqlite"
        guard FileManager.default.fileExists(atPath: path) else { throw ShardsError.noCatalog(path: path) }
        self.options = options
        self.read = read
        do {
            store = try CatalogStore(path: path)
            guard let filterRun = try store.lastFilterRun() else { throw ShardsError.notFiltered }
            self.filterRun = filterRun
            weakPairsRun = try store.lastRun(WeakPairsRun.self)
        } catch let error as CatalogError {
            throw ShardsError.catalogRefused(error.description)
        } catch let error as SQLiteError {
            throw ShardsError.catalog(error.description)
        }
        renderer = try TextRenderer(font: Unifont.load(), options: options.render)
    }

    /// A 64-bit hash of the seed and `parts`: the deterministic shuffle and the split.
    static func hash(_ seed: UInt64, _ parts: String...) -> UInt64 {
        var hasher = SHA256()
        withUnsafeBytes(of: seed.littleEndian) { hasher.update(bufferPointer: $0) }
        for part in parts { hasher.update(data: Array(part.utf8) + [0]) }
        return hasher.finalize().withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    }

    func pendingSamples() throws -> [PendingSample] {
        let images = try store.keptImages()
        var out: [PendingSample] = []
        try store.forEachKeptPair { id, imageID, text, source, pageURL, language in
            guard let image = images[imageID] else { return }
            guard let source = SampleMetadata.TextSource(rawValue: source), source != .weak else {
                throw ShardsError.catalog("pair \(id) has text_source '\(source)', which build-shards does not know; was the catalog written by a newer curate?")
            }
            out.append(PendingSample(order: Self.hash(options.seed, "pair", String(id)), imageID: imageID, imageSHA: image.sha256,
                                     text: text, source: source, pageURL: pageURL, imageURL: image.url,
                                     width: image.width, height: image.height, weak: nil, language: language))
        }
        for weak in try store.weakPairs() {
            guard let image = images[weak.imageID] else { continue }
            out.append(PendingSample(order: Self.hash(options.seed, "weak", String(weak.imageID), String(weak.rank)), imageID: weak.imageID,
                                     imageSHA: image.sha256, text: weak.text, source: .weak, pageURL: image.pageURL, imageURL: image.url,
                                     width: image.width, height: image.height, weak: (weak.tags, weak.rank, weak.score)))
        }
        return out.sorted { ($0.order, $0.imageID) < ($1.order, $1.imageID) }
    }

    /// How many samples validation takes, of `total`: the fraction, at least `valMinimum` when the
    /// data has five times as many.
    static func validationTarget(total: Int, options: BuildShardsOptions) -> Int {
        max(Int((Double(total) * options.valFraction).rounded(.up)), min(options.valMinimum, total / 5))
    }

    /// Whole images go to validation, lowest image hashes first, until the target is reached.
    func split(_ samples: [PendingSample]) -> (train: [PendingSample], val: [PendingSample]) {
        let total = samples.count
        let target = Self.validationTarget(total: total, options: options)
        var perImage: [String: Int] = [:]
        for s in samples { perImage[s.imageSHA, default: 0] += 1 }
        var val = Set<String>(), count = 0
        for sha in perImage.keys.sorted(by: { Self.hash(options.seed, "split", $0) < Self.hash(options.seed, "split", $1) }) where count < target {
            val.insert(sha)
            count += perImage[sha]!
        }
        return (samples.filter { !val.contains($0.imageSHA) }, samples.filter { val.contains($0.imageSHA) })
    }
}
