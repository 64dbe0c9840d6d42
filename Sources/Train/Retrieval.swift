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
    }

    /// The val shards' images ranked by similarity to `query`, best first.
    public func search(_ query: String, shards: ShardSet, top k: Int) throws -> [Hit] {
        let reader = SampleReader(shards: shards.val.isEmpty ? shards.train : shards.val)
        var keys: [String] = [], captions: [String] = [], images: [[UInt8]] = []
        while let sample = reader.next() {
            guard let jpg = sample.members["jpg"] else { continue }
            keys.append(sample.key)
            captions.append(sample.members["txt"].map { String(decoding: $0, as: UTF8.self) } ?? "")
            images.append(jpg)
        }
        let q = embed(texts: [query])[0]
        let scored = embed(images: images).enumerated().compactMap { i, e in
            e.map { Hit(key: keys[i], caption: captions[i], score: zip(q, $0).reduce(0) { $0 + $1.0 * $1.1 }) }
        }
        return Array(scored.sorted { $0.score > $1.score }.prefix(k))
    }
}
