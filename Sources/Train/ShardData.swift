// What the trainer reads: the WebDataset shards `curate build-shards` writes (train-*.tar,
// val-*.tar, textpairs-*.tar beside sizes.json), sample by sample, and the pixels the model
// takes: images decoded and resized to the model's input (big_vision's plain resize, or a centre
// crop), rendered texts from the stored `render.png` when its size fits, rendered afresh when not.
// A damaged shard or sample is a counted skip with a named reason; reading goes on.
import Foundation
import CurateCore
import Imaging
import Render

extension DropReason {
    /// A sample that lacks a member the trainer needs (jpg, txt, or the text pair's two texts).
    public static let sampleIncomplete = DropReason("sample_incomplete")
    /// A sample whose image (or stored render) does not decode.
    public static let imageUndecodable = DropReason("image_undecodable")
}

/// The shard files of one `build-shards` output folder, by split, in name order.
public struct ShardSet: Sendable {
    public let folder: String
    public let train: [String], val: [String], textPairs: [String]

    public init(folder: String) throws(ShardDataError) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { throw .noFolder(folder) }
        func split(_ prefix: String) -> [String] {
            names.filter { $0.hasPrefix(prefix + "-") && $0.hasSuffix(".tar") }.sorted().map { folder + "/" + $0 }
        }
        self.folder = folder
        train = split("train"); val = split("val"); textPairs = split("textpairs")
        if train.isEmpty { throw .noTrainShards(folder) }
    }
}

public enum ShardDataError: Error, CustomStringConvertible, Equatable {
    case noFolder(String)
    case noTrainShards(String)

    public var description: String {
        switch self {
        case .noFolder(let folder): "cannot read the shard folder \(folder); pass the folder curate build-shards wrote (WORK/shards)"
        case .noTrainShards(let folder): "no train-*.tar in \(folder); run curate build-shards first"
        }
    }
}

/// Model inputs: 3 planes of size×size Floats in [-1, 1] (big_vision's value_range(-1, 1)).
public enum ModelInput {
    /// How an image becomes the model's square input.
    public enum Fit: String, Codable, Sendable, CaseIterable {
        /// big_vision's `resize(size)`: both sides to the size, the aspect ratio not kept.
        case resize
        /// The shorter side to the size, then the centre square.
        case centerCrop = "center-crop"

        func mode(_ size: Int) -> ResizeMode {
            switch self {
            case .resize: .stretch(width: size, height: size)
            case .centerCrop: .centerCrop(size)
            }
        }
    }

    /// Decodes image bytes and writes size×size×3 planes into `out`.
    public static func image(_ bytes: [UInt8], size: Int, fit: Fit, into out: UnsafeMutablePointer<Float>) throws {
        let image = try bytes.withUnsafeBytes { raw in
            let info = try ImageProbe.probe(raw)
            var options = DecodeOptions()
            options.target = fit.mode(size)
            return try ImageDecoder.decodeWindow(raw, info: info, options: options).resized(fit.mode(size))
        }
        planes(image, size: size, into: out)
    }

    /// A text's render: the stored `render.png` when it is size×size and the renderer uses
    /// CLIPPO's font size (the size build-shards renders at), else rendered now.
    public static func text(_ text: String, stored: [UInt8]?, size: Int, renderer: TextRenderer,
                            into out: UnsafeMutablePointer<Float>) {
        if let stored, renderer.options.fontSize == RenderOptions.clippo.fontSize,
           let image = try? ImageDecoder.decode(stored), image.width == size, image.height == size {
            planes(image, size: size, into: out)
            return
        }
        planes(renderer.renderRGB(text), size: size, into: out)
    }

    /// RGB8 (size×size) -> planes (3, size, size), v/127.5 − 1.
    static func planes(_ image: RGBImage, size: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(image.width == size && image.height == size, "model inputs are square images of the model's size.")
        let area = size * size
        image.pixels.withUnsafeBufferPointer { p in
            for i in 0..<area {
                out[i] = Float(p[3 * i]) / 127.5 - 1
                out[area + i] = Float(p[3 * i + 1]) / 127.5 - 1
                out[2 * area + i] = Float(p[3 * i + 2]) / 127.5 - 1
            }
        }
    }
}
