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
    /// How the shards' `render.png` members were rendered (manifest.json's options; shards of
    /// curate before `--render-size` have CLIPPO's 224 px at font size 16).
    public let render: StoredRender

    public init(folder: String) throws(ShardDataError) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { throw .noFolder(folder) }
        func split(_ prefix: String) -> [String] {
            names.filter { $0.hasPrefix(prefix + "-") && $0.hasSuffix(".tar") }.sorted().map { folder + "/" + $0 }
        }
        self.folder = folder
        train = split("train"); val = split("val"); textPairs = split("textpairs")
        if train.isEmpty { throw .noTrainShards(folder) }
        render = StoredRender(manifest: folder + "/manifest.json")
    }
}

/// The size and Unifont size of the captions a shard folder holds as render.png.
public struct StoredRender: Sendable, Equatable {
    public var size: Int
    public var fontSize: Int

    public static let clippo = StoredRender(size: RenderOptions.clippo.imageSize, fontSize: RenderOptions.clippo.fontSize)

    public init(size: Int, fontSize: Int) { self.size = size; self.fontSize = fontSize }

    /// From manifest.json's `options.render_size` and `render_font_size`; CLIPPO's without them.
    init(manifest path: String) {
        struct Manifest: Decodable {
            struct Options: Decodable { var render_size: Int?; var render_font_size: Int? }
            var options: Options?
        }
        let options = FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(Manifest.self, from: $0) }?.options
        self.init(size: options?.render_size ?? Self.clippo.size, fontSize: options?.render_font_size ?? Self.clippo.fontSize)
    }

    /// Whether a stored render can stand for `renderer`'s rendering at the model's `size`.
    func fits(_ renderer: TextRenderer, size: Int) -> Bool {
        self.size == size && fontSize == renderer.options.fontSize && renderer.options.imageSize == size
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
    /// Returns whether the stored render was used (false: the text was rendered here).
    @discardableResult
    public static func text(_ text: String, stored: [UInt8]?, storedAs render: StoredRender = .clippo, size: Int, renderer: TextRenderer,
                            into out: UnsafeMutablePointer<Float>) -> Bool {
        if let stored, render.fits(renderer, size: size),
           let image = try? ImageDecoder.decode(stored), image.width == size, image.height == size {
            planes(image, size: size, into: out)
            return true
        }
        planes(renderer.renderRGB(text), size: size, into: out)
        return false
    }

    /// Planes (3, size, size) in place to their luma (ITU-R BT.601: 0.299 R + 0.587 G + 0.114 B)
    /// in all three: torchvision's RandomGrayscale. The weights sum to 1, so it holds in [-1, 1].
    public static func toGray(_ planes: UnsafeMutablePointer<Float>, size: Int) {
        let area = size * size
        for i in 0..<area {
            let y = 0.299 * planes[i] + 0.587 * planes[area + i] + 0.114 * planes[2 * area + i]
            planes[i] = y; planes[area + i] = y; planes[2 * area + i] = y
        }
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
