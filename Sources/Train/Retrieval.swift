// Using a trained model: embeddings of images and texts (texts are rendered first, as in
// training) and text-to-image search over the val shards.
import Foundation
import CurateCore
import Render

public final class Embedder {
    public let model: CLIPPO
    let renderer: TextRenderer
    let fit: ModelInput.Fit

    public init(checkpoint: String, fit: ModelInput.Fit = .resize) throws {
        let (model, file) = try Checkpoint.load(checkpoint)
        self.model = model
        var options = RenderOptions.clippo
        options.imageSize = model.config.imageSize
        // Texts are rendered as in training: the font size the run used, when it says.
        if let size = file.metadata["curate.train.font_size"].flatMap({ Int($0) }) { options.fontSize = size }
        renderer = try TextRenderer(font: try Unifont.load(), options: options)
        self.fit = fit
    }

    var plane: Int { 3 * model.config.imageSize * model.config.imageSize }

    /// L2-normalised embeddings of images given as encoded bytes (PNG, JPEG, WebP, GIF); nil
    /// for an image that does not decode.
    public func embed(images: [[UInt8]]) -> [[Float]?] {
        var pixels = [Float](repeating: 0, count: images.count * plane), decoded: [Int] = []
        pixels.withUnsafeMutableBufferPointer { out in
            for (i, bytes) in images.enumerated() {
                if (try? ModelInput.image(bytes, size: model.config.imageSize, fit: fit, into: out.baseAddress! + decoded.count * plane)) != nil {
                    decoded.append(i)
                }
            }
        }
        var result = [[Float]?](repeating: nil, count: images.count)
        for (i, embedding) in zip(decoded, split(pixels, count: decoded.count)) { result[i] = embedding }
        return result
    }

    /// L2-normalised embeddings of texts, each rendered with Unifont as in training.
    public func embed(texts: [String]) -> [[Float]] {
        var pixels = [Float](repeating: 0, count: texts.count * plane)
        pixels.withUnsafeMutableBufferPointer { out in
            for (i, text) in texts.enumerated() {
                ModelInput.text(text, stored: nil, size: model.config.imageSize, renderer: renderer, into: out.baseAddress! + i * plane)
            }
        }
        return split(pixels, count: texts.count)
    }

    private func split(_ pixels: [Float], count: Int) -> [[Float]] {
        guard count > 0 else { return [] }
        var out: [[Float]] = []
        for start in stride(from: 0, to: count, by: 64) {
            let n = min(64, count - start)
            let flat = pixels.withUnsafeBufferPointer { model.embed($0.baseAddress! + start * plane, count: n) }
            let e = model.config.embedding
            out += (0..<n).map { Array(flat[($0 * e)..<(($0 + 1) * e)]) }
        }
        return out
    }

    public struct Hit: Sendable {
        public let key: String
        public let caption: String
        public let score: Float
        /// The image's encoded bytes, as the shard holds them.
        public let image: [UInt8]
    }

    /// The val shards' images ranked by similarity to `query`, best first.
    public func search(_ query: String, shards: ShardSet, top k: Int) throws -> [Hit] {
        let gallery = Gallery(shards: shards, embedder: self)
        return gallery.rank(embed(texts: [query])[0], top: k)
    }

    /// What `curate report` shows of a trained model: recall over the val shards (all pairs,
    /// and the alt-text pairs alone, since weak pairs' sentences describe other images with the
    /// same objects), and text queries with their best images. The automatic queries are the
    /// captions of `automatic` alt-text val samples spread over the split, each with the key of
    /// the image it came from; `queries` are the user's own.
    /// With `truth`, also the colour-and-shape search over the same embedded images.
    public func examples(shards: ShardSet, queries: [String], automatic: Int, top k: Int, truth: ImageTruth? = nil) -> RetrievalSummary {
        let gallery = Gallery(shards: shards, embedder: self)
        let texts = embed(texts: gallery.captions)
        let embedded = gallery.embeddings.indices.filter { gallery.embeddings[$0] != nil }
        let alt = gallery.altText
        var recalls: [(String, Recall)] = []
        if let all = gallery.recall(embedded, texts: texts) { recalls.append(("all val pairs", all)) }
        if alt.count < embedded.count, let r = gallery.recall(alt, texts: texts) { recalls.append(("alt-text val pairs only", r)) }
        let picked = automatic > 0 && !alt.isEmpty ? (0..<min(automatic, alt.count)).map { alt[$0 * alt.count / min(automatic, alt.count)] } : []
        var examples = picked.map { i in
            // The image is shown under its first sample's key.
            let first = gallery.identities.firstIndex(of: gallery.identities[i]) ?? i
            return RetrievalExample(query: gallery.captions[i], expectedKey: gallery.keys[first], hits: gallery.rank(texts[i], top: k))
        }
        examples += zip(queries, embed(texts: queries)).map { RetrievalExample(query: $0, expectedKey: nil, hits: gallery.rank($1, top: k)) }
        return RetrievalSummary(samples: embedded.count, recalls: recalls, examples: examples,
                                search: truth.map { searchQuality(gallery: gallery, truth: $0) })
    }
}

/// A text query and the val images it ranked first.
public struct RetrievalExample: Sendable {
    public let query: String
    /// The key of the image the query's caption belongs to (automatic queries only).
    public let expectedKey: String?
    public let hits: [Embedder.Hit]
}

public struct RetrievalSummary: Sendable {
    /// Val samples whose image decoded.
    public let samples: Int
    public let recalls: [(name: String, recall: Recall)]
    public let examples: [RetrievalExample]
    /// Colour-and-shape search, when a truth was given.
    public let search: SearchQuality?
}

/// The val shards' samples (the train shards' when there are none), their images embedded once.
struct Gallery {
    var keys: [String] = [], captions: [String] = [], sources: [String] = [], images: [[UInt8]] = []
    /// Which image each sample shows (its json's image_sha256, else its key): an image with five
    /// weak sentences is five samples, and a search shows it once.
    var identities: [String] = []
    var embeddings: [[Float]?] = []

    init(shards: ShardSet, embedder: Embedder) {
        let reader = SampleReader(shards: shards.val.isEmpty ? shards.train : shards.val)
        while let sample = reader.next() {
            guard let jpg = sample.members["jpg"] else { continue }
            keys.append(sample.key)
            captions.append(sample.members["txt"].map { String(decoding: $0, as: UTF8.self) } ?? "")
            sources.append(SampleMetadata.decode(sample.members["json"])?.textSource.rawValue ?? "")
            identities.append(ShardSample.imageIdentity(sample))
            images.append(jpg)
        }
        embeddings = embedder.embed(images: images)
    }

    /// The samples whose image was embedded and whose caption is not a weak pair's.
    var altText: [Int] { embeddings.indices.filter { embeddings[$0] != nil && sources[$0] != "weak" } }

    /// Recall over the samples at `indices`, their captions' embeddings in `texts` (one per
    /// sample); samples of one image are one image. Nil below two samples.
    func recall(_ indices: [Int], texts: [[Float]]) -> Recall? {
        guard indices.count > 1 else { return nil }
        let d = texts[indices[0]].count
        var groupOf: [String: Int] = [:]
        for identity in identities where groupOf[identity] == nil { groupOf[identity] = groupOf.count }
        return Trainer.recall(images: indices.flatMap { embeddings[$0]! }, texts: indices.flatMap { texts[$0] }, count: indices.count, d: d,
                              groups: indices.map { groupOf[identities[$0]]! })
    }

    /// The images ranked by cosine similarity to `query` (an L2-normalised embedding), best first,
    /// each image once (under its first sample's key and caption).
    func rank(_ query: [Float], top k: Int) -> [Embedder.Hit] {
        var seen = Set<String>()
        let scored = embeddings.indices.compactMap { i -> Embedder.Hit? in
            guard let e = embeddings[i], seen.insert(identities[i]).inserted else { return nil }
            return Embedder.Hit(key: keys[i], caption: captions[i], score: zip(query, e).reduce(0) { $0 + $1.0 * $1.1 }, image: images[i])
        }
        return Array(scored.sorted { $0.score > $1.score }.prefix(k))
    }
}
