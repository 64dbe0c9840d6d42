// One ordered table of (name, shape) decides everything about the parameters: their offsets in
// one Float arena (and so in the gradient arena and each optimizer-state arena, which share the
// layout), the checkpoint tensor names (timm's ViT names where a tensor has a timm equivalent),
// the weight-decay mask (rank ≥ 2, nanoGPT's rule: matrices and embeddings decay, biases, norms
// and the temperature do not) and the initialisation. Nothing is listed twice.
#if canImport(Glibc)
import Glibc
#endif
import CurateCore

/// How a parameter starts (big_vision's ViT initialisers).
public enum Initializer: Sendable, Equatable {
    case zeros, ones
    case constant(Float)
    /// Uniform in ±√(6 / (fanIn + fanOut)) (Glorot; big_vision's Dense kernels).
    case xavierUniform(fanIn: Int, fanOut: Int)
    /// Normal with this standard deviation (LeCun for the patch embedding, 1/√width for the
    /// position embedding and the MAP probe).
    case normal(std: Float)
}

public struct ParameterSpec: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public let initializer: Initializer
    public var count: Int { shape.reduce(1, *) }
    public var decays: Bool { shape.count >= 2 }
}

public struct ParameterTable: Sendable, Equatable {
    public let entries: [ParameterSpec]
    public let count: Int
    private let index: [String: Int]

    init(_ list: [(String, [Int], Initializer)]) {
        var offset = 0, entries: [ParameterSpec] = []
        for (name, shape, initializer) in list {
            entries.append(ParameterSpec(name: name, shape: shape, offset: offset, initializer: initializer))
            offset += shape.reduce(1, *)
        }
        self.entries = entries
        self.count = offset
        self.index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
        precondition(index.count == entries.count, "a parameter table lists each name once.")
    }

    public subscript(name: String) -> ParameterSpec {
        guard let i = index[name] else { preconditionFailure("the parameter table has no '\(name)'.") }
        return entries[i]
    }

    public func contains(_ name: String) -> Bool { index[name] != nil }

    /// The CLIPPO model's table: the tower in timm's order, then the temperature.
    public static func clippo(_ config: ViTConfig) -> ParameterTable {
        let d = config.width, m = config.mlpWidth, k = config.patchSize, e = config.embedding
        func linear(_ name: String, _ inputs: Int, _ outputs: Int) -> [(String, [Int], Initializer)] {
            [(name + ".weight", [outputs, inputs], .xavierUniform(fanIn: inputs, fanOut: outputs)), (name + ".bias", [outputs], .zeros)]
        }
        func norm(_ name: String) -> [(String, [Int], Initializer)] { [(name + ".weight", [d], .ones), (name + ".bias", [d], .zeros)] }
        let inverseRootWidth = 1 / Float(d).squareRoot()
        var list: [(String, [Int], Initializer)] = [
            ("patch_embed.proj.weight", [d, config.channels, config.patch, config.patch], .normal(std: 1 / Float(k).squareRoot())),
            ("patch_embed.proj.bias", [d], .zeros),
            ("pos_embed", [1, config.tokens, d], .normal(std: inverseRootWidth)),
        ]
        for l in 0..<config.depth {
            let block = "blocks.\(l)"
            list += norm(block + ".norm1") + linear(block + ".attn.qkv", d, 3 * d) + linear(block + ".attn.proj", d, d)
            list += norm(block + ".norm2") + linear(block + ".mlp.fc1", d, m) + linear(block + ".mlp.fc2", m, d)
        }
        list += norm("norm")
        if config.pooling == .map {
            list.append(("attn_pool.latent", [1, 1, d], .normal(std: inverseRootWidth)))
            list += linear("attn_pool.q", d, d) + linear("attn_pool.kv", d, 2 * d) + linear("attn_pool.proj", d, d)
            list += norm("attn_pool.norm") + linear("attn_pool.mlp.fc1", d, m) + linear("attn_pool.mlp.fc2", m, d)
        }
        list += linear("head", d, e)
        list.append(("logit_scale", [], .constant(log(config.initialScale))))
        return ParameterTable(list)
    }
}

/// A Float array allocated once, zeroed, and freed with its owner; the parameters, their
/// gradients and each optimizer state are one arena each, laid out by the same table.
public final class Arena: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
    public func zero() { pointer.update(repeating: 0, count: count) }
    public subscript(spec: ParameterSpec) -> UnsafeMutablePointer<Float> { pointer + spec.offset }
    public func copy(from other: Arena) {
        precondition(other.count == count, "arenas copied into each other have the same size.")
        pointer.update(from: other.pointer, count: count)
    }
}

extension ParameterTable {
    /// Fills `arena` with each parameter's initial values from a seeded generator, in table order
    /// (the same seed gives the same model on every machine).
    public func initialize(_ arena: Arena, seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        for spec in entries {
            let p = arena[spec]
            switch spec.initializer {
            case .zeros: p.update(repeating: 0, count: spec.count)
            case .ones: p.update(repeating: 1, count: spec.count)
            case .constant(let value): p.update(repeating: value, count: spec.count)
            case .xavierUniform(let fanIn, let fanOut):
                let limit = (6 / Double(fanIn + fanOut)).squareRoot()
                for i in 0..<spec.count { p[i] = Float((rng.unit() * 2 - 1) * limit) }
            case .normal(let std):
                for i in 0..<spec.count {
                    // Box-Muller on two uniforms; 1 − u keeps the logarithm finite.
                    let u = 1 - rng.unit(), v = rng.unit()
                    p[i] = Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)) * std
                }
            }
        }
    }
}
