// The shape of curate's one CLIPPO tower: a Vision Transformer that encodes images and rendered
// text alike. Named variants follow timm/big_vision's ViT sizes; every field can be overridden.

/// How the tower turns its tokens into one vector before the head.
public enum Pooling: String, Codable, Sendable, CaseIterable {
    /// big_vision's MAP head (CLIPPO's choice): one learned query attends over the tokens, then
    /// LayerNorm + MLP with a residual. timm: `global_pool='map'` (`attn_pool.*`).
    case map
    /// The mean of the tokens (timm: `global_pool='avg'`, with `fc_norm=False`).
    case gap
}

public struct ViTConfig: Codable, Equatable, Sendable {
    public var width: Int
    public var depth: Int
    public var heads: Int
    public var mlpRatio: Int
    public var patch: Int
    public var imageSize: Int
    public var pooling: Pooling
    /// The size of the embedding the head projects to (CLIPPO: 768).
    public var embedding: Int
    /// The learned temperature's initial value, as a scale: e^t with t = log(scale) the parameter
    /// (big_vision's CLIPPO starts at 10; CoCa and CLIP at 1/0.07).
    public var initialScale: Float
    public var channels: Int { 3 }

    public var tokens: Int { (imageSize / patch) * (imageSize / patch) }
    public var mlpWidth: Int { width * mlpRatio }
    public var patchSize: Int { channels * patch * patch }

    public init(width: Int, depth: Int, heads: Int, mlpRatio: Int = 4, patch: Int = 16, imageSize: Int = 224,
                pooling: Pooling = .map, embedding: Int = 768, initialScale: Float = 10) {
        self.width = width; self.depth = depth; self.heads = heads; self.mlpRatio = mlpRatio
        self.patch = patch; self.imageSize = imageSize; self.pooling = pooling; self.embedding = embedding
        self.initialScale = initialScale
    }

    /// The named sizes. `mu` is curate's own: small enough for tests and a demo that trains in
    /// minutes on two cores. The others are ViT-Ti/16, S/16 and B/16 (width, depth, heads).
    public static let variants: [(name: String, config: ViTConfig)] = [
        ("mu", ViTConfig(width: 64, depth: 2, heads: 2, patch: 8, imageSize: 64, embedding: 64)),
        ("Ti/16", ViTConfig(width: 192, depth: 12, heads: 3)),
        ("S/16", ViTConfig(width: 384, depth: 12, heads: 6)),
        ("B/16", ViTConfig(width: 768, depth: 12, heads: 12)),
    ]

    /// A named variant; names are matched without case (`ti/16`, `Ti/16`).
    public static func named(_ name: String) throws(ModelError) -> ViTConfig {
        guard let found = variants.first(where: { $0.name.lowercased() == name.lowercased() }) else {
            throw .unknownVariant(name, known: variants.map(\.name))
        }
        return found.config
    }

    /// Applies `key=value` overrides (width, depth, heads, mlp-ratio, patch, image-size, pooling,
    /// embedding, initial-scale), then checks that the shape is one a ViT can have.
    public func overriding(_ settings: [String]) throws(ModelError) -> ViTConfig {
        var config = self
        for setting in settings {
            let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw .badOverride(setting, "write it as key=value, e.g. width=256") }
            let (key, value) = (parts[0], parts[1])
            if key == "pooling" {
                guard let pooling = Pooling(rawValue: value) else { throw .badOverride(setting, "pooling is map or gap") }
                config.pooling = pooling
                continue
            }
            if key == "initial-scale" {
                guard let scale = Float(value), scale > 0 else { throw .badOverride(setting, "initial-scale is a positive number, e.g. 10 or 14.29") }
                config.initialScale = scale
                continue
            }
            guard let number = Int(value), number > 0 else { throw .badOverride(setting, "\(key) takes a positive whole number") }
            switch key {
            case "width": config.width = number
            case "depth": config.depth = number
            case "heads": config.heads = number
            case "mlp-ratio": config.mlpRatio = number
            case "patch": config.patch = number
            case "image-size": config.imageSize = number
            case "embedding": config.embedding = number
            default: throw .badOverride(setting, "known keys: width, depth, heads, mlp-ratio, patch, image-size, pooling, embedding, initial-scale")
            }
        }
        try config.validate()
        return config
    }

    public func validate() throws(ModelError) {
        if width % heads != 0 { throw .badShape("width \(width) is not divisible by heads \(heads)") }
        if imageSize % patch != 0 { throw .badShape("image size \(imageSize) is not divisible by patch \(patch)") }
        if [width, depth, heads, mlpRatio, patch, imageSize, embedding].contains(where: { $0 <= 0 }) {
            throw .badShape("every size must be positive")
        }
    }

    /// One line for logs: "width 192, depth 12, heads 3, mlp 768, patch 16, image 224 (196 tokens), map, embedding 768".
    public var summary: String {
        "width \(width), depth \(depth), heads \(heads), mlp \(mlpWidth), patch \(patch), image \(imageSize) (\(tokens) tokens), "
            + "\(pooling.rawValue) pooling, embedding \(embedding), initial scale \(initialScale)"
    }
}

public enum ModelError: Error, CustomStringConvertible, Equatable {
    case unknownVariant(String, known: [String])
    case badOverride(String, String)
    case badShape(String)

    public var description: String {
        switch self {
        case .unknownVariant(let name, let known): "unknown model '\(name)'; choose one of \(known.joined(separator: ", "))"
        case .badOverride(let setting, let fix): "bad model setting '\(setting)': \(fix)"
        case .badShape(let what): "impossible model shape: \(what); change the overrides"
        }
    }
}
