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
    var source: String         // alt, title, figcaption, weak
    var pageURL: String
    var imageURL: String
    var width: Int, height: Int
    var weak: (tags: String, rank: Int, score: Double)?
}

/// `curate build-shards`: kept pairs and weak pairs → WebDataset shards (README: "Shards").
public final class BuildShards {
    let options: BuildShardsOptions
    let db: SQLiteDatabase
    let read: StoredImageReader
    let renderer: TextRenderer

    public init(options: BuildShardsOptions, read: @escaping StoredImageReader) throws {
        let path = options.workDirectory + "/catalog.sqlite"
        guard FileManager.default.fileExists(atPath: path) else { throw ShardsError.noCatalog(path: path) }
        self.options = options
        self.read = read
        do {
            db = try SQLiteDatabase(path: path)
            guard try !db.query("SELECT 1 FROM meta WHERE key = 'filter.run'").isEmpty else { throw ShardsError.notFiltered }
        } catch let error as SQLiteError {
            throw ShardsError.catalog(error.description)
        }
        renderer = try TextRenderer(font: Unifont.load(), options: .clippo)
    }

    /// A 64-bit hash of the seed and `parts`: the deterministic shuffle and the split.
    static func hash(_ seed: UInt64, _ parts: String...) -> UInt64 {
        var hasher = SHA256()
        withUnsafeBytes(of: seed.littleEndian) { hasher.update(bufferPointer: $0) }
        for part in parts { hasher.update(data: Array(part.utf8) + [0]) }
        return hasher.finalize().withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    }

    func pendingSamples() throws -> [PendingSample] {
        var images: [Int64: (sha: String, url: String, w: Int, h: Int, page: String)] = [:]
        try db.forEach("""
            SELECT i.id, i.sha256, coalesce(i.url, ''), i.width, i.height,
                   coalesce((SELECT g.url FROM refs r JOIN pages g ON g.id = r.page_id WHERE r.image_id = i.id ORDER BY r.id LIMIT 1), '')
            FROM images i WHERE i.id NOT IN (SELECT id FROM filter_decisions WHERE item = 'image')
            """) { row in
            images[row.integer(0)] = (row.text(1) ?? "", row.text(2) ?? "", Int(row.integer(3)), Int(row.integer(4)), row.text(5) ?? "")
        }
        var out: [PendingSample] = []
        try db.forEach("SELECT p.id, p.image_id, p.text, p.text_source, g.url FROM kept_pairs p JOIN pages g ON g.id = p.page_id ORDER BY p.id") { row in
            guard let image = images[row.integer(1)] else { return }
            out.append(PendingSample(order: Self.hash(options.seed, "pair", String(row.integer(0))), imageID: row.integer(1), imageSHA: image.sha,
                                     text: row.text(2) ?? "", source: row.text(3) ?? "alt", pageURL: row.text(4) ?? "", imageURL: image.url,
                                     width: image.w, height: image.h, weak: nil))
        }
        if try !db.query("SELECT 1 FROM sqlite_master WHERE name = 'weak_pairs'").isEmpty {
            try db.forEach("SELECT image_id, rank, text, tags, score FROM weak_pairs ORDER BY image_id, rank") { row in
                guard let image = images[row.integer(0)] else { return }
                out.append(PendingSample(order: Self.hash(options.seed, "weak", String(row.integer(0)), String(row.integer(1))), imageID: row.integer(0),
                                         imageSHA: image.sha, text: row.text(2) ?? "", source: "weak", pageURL: image.page, imageURL: image.url,
                                         width: image.w, height: image.h, weak: (row.text(3) ?? "[]", Int(row.integer(1)), row.real(4))))
            }
        }
        return out.sorted { ($0.order, $0.imageID) < ($1.order, $1.imageID) }
    }

    /// Whole images go to validation, lowest image hashes first, until the target is reached.
    func split(_ samples: [PendingSample]) -> (train: [PendingSample], val: [PendingSample]) {
        let total = samples.count
        let target = max(Int((Double(total) * options.valFraction).rounded(.up)), min(options.valMinimum, total / 5))
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
