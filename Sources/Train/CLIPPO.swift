// The CLIPPO model: one Vision Transformer for images and rendered text, L2-normalised
// embeddings, and the symmetric contrastive loss with a learned temperature. Reads top to
// bottom as llm.c's train_gpt2.c: the activations, the forward pass, the backward pass.
//   b = inputs through the tower (2 × pairs in training), n = tokens, d = width, m = MLP width,
//   h = heads, k = pixels per patch (3·p·p), e = embedding size, L = depth
// Architecture (timm's VisionTransformer with class_token=False, fc_norm=False; big_vision's ViT):
//   patches → linear (patch_embed.proj) → + pos_embed
//   L × [x + attn(norm1(x)) ; x + mlp(norm2(x))]   pre-LayerNorm blocks, eps 1e-6, exact GELU
//   norm → pooling (MAP: attn_pool.*; or the token mean) → head → L2 normalise
import Kernels

public final class CLIPPO {
    public let config: ViTConfig
    public let table: ParameterTable
    public let parameters: Arena
    public let gradients: Arena
    /// The arithmetic of the linear layers' products (forward and backward); parameters,
    /// gradients, LayerNorm, softmax, GELU, attention and the loss stay fp32 either way.
    public var precision = Precision.fp32
    /// Activations for each tower batch size seen, allocated on first use and reused.
    private var activations: [Int: Activations] = [:]

    public init(config: ViTConfig, seed: UInt64 = 0) {
        self.config = config
        table = .clippo(config)
        parameters = Arena(count: table.count)
        gradients = Arena(count: table.count)
        table.initialize(parameters, seed: seed)
    }

    /// The learned log-temperature t (logits are e^t · cosine similarities).
    public var logitScale: Float { parameters[table["logit_scale"]].pointee }

    /// Bytes held for activations of a tower batch of `b` inputs (b = 2 × pairs in training).
    public func activationBytes(batch b: Int) -> Int { Activations.floatCount(config, batch: b) * MemoryLayout<Float>.size }

    // MARK: Public entry points

    /// L2-normalised embeddings (count, e) of `count` inputs laid out (count, 3, S, S) in [-1, 1].
    public func embed(_ pixels: UnsafePointer<Float>, count: Int) -> [Float] {
        let acts = activations(count)
        forward(pixels, acts)
        return Array(UnsafeBufferPointer(start: acts.embeddings, count: count * config.embedding))
    }

    /// One training step's forward and backward on `pairs` pairs: `pixels` holds the pairs' first
    /// sides (images) then their second sides (rendered texts), (2·pairs, 3, S, S). Zeroes the
    /// gradients, fills them, and returns the loss. `weights` (pairs), when given, scales each
    /// pair's terms of the loss (µ-VLA's down-weighting of weak pairs).
    public func lossAndGradients(_ pixels: UnsafePointer<Float>, pairs: Int, weights: [Float]? = nil) -> Float {
        let acts = activations(2 * pairs)
        let e = config.embedding, scale = table["logit_scale"]
        forward(pixels, acts)
        gradients.zero()
        acts.dEmbeddings.update(repeating: 0, count: 2 * pairs * e)
        let loss = weights.withOptionalPointer { w in
            contrastiveLoss(acts.embeddings, acts.embeddings + pairs * e, logScale: parameters[scale].pointee, count: pairs, d: e,
                            weights: w, da: acts.dEmbeddings, db: acts.dEmbeddings + pairs * e, dt: gradients[scale])
        }
        backward(pixels, acts)
        return loss
    }

    private func activations(_ b: Int) -> Activations {
        if let cached = activations[b] { return cached }
        let acts = Activations(config, batch: b)
        activations[b] = acts
        return acts
    }

    // MARK: Forward

    /// pixels (b,3,S,S) -> acts.embeddings (b,e), keeping what backward needs.
    func forward(_ pixels: UnsafePointer<Float>, _ a: Activations) {
        let c = config, b = a.batch, n = c.tokens, d = c.width, m = c.mlpWidth, rows = b * n
        let p = parameterPointers()
        patchifyForward(a.patches, pixels, b: b, channels: c.channels, height: c.imageSize, width: c.imageSize, patch: c.patch)
        linearForward(a.embedded, a.patches, p("patch_embed.proj.weight"), p("patch_embed.proj.bias"), rows: rows, c: c.patchSize, oc: d, precision: precision)
        positionForward(a.embedded, a.embedded, p("pos_embed"), b: b, n: n, c: d)
        for l in 0..<c.depth {
            let block = "blocks.\(l).", s = a.layers[l]
            let x = l == 0 ? a.embedded : a.layers[l - 1].res2
            layerNormForward(s.ln1, s.ln1Mean, s.ln1Rstd, x, p(block + "norm1.weight"), p(block + "norm1.bias"), rows: rows, c: d)
            linearForward(s.qkv, s.ln1, p(block + "attn.qkv.weight"), p(block + "attn.qkv.bias"), rows: rows, c: d, oc: 3 * d, precision: precision)
            attentionForward(s.attnOut, s.att, s.qkv, b: b, n: n, c: d, heads: c.heads)
            linearForward(a.scratch, s.attnOut, p(block + "attn.proj.weight"), p(block + "attn.proj.bias"), rows: rows, c: d, oc: d, precision: precision)
            residualForward(s.res1, x, a.scratch, count: rows * d)
            layerNormForward(s.ln2, s.ln2Mean, s.ln2Rstd, s.res1, p(block + "norm2.weight"), p(block + "norm2.bias"), rows: rows, c: d)
            linearGeluForward(s.fc1, s.gelu, s.ln2, p(block + "mlp.fc1.weight"), p(block + "mlp.fc1.bias"), rows: rows, c: d, oc: m, precision: precision)
            linearForward(a.scratch, s.gelu, p(block + "mlp.fc2.weight"), p(block + "mlp.fc2.bias"), rows: rows, c: m, oc: d, precision: precision)
            residualForward(s.res2, s.res1, a.scratch, count: rows * d)
        }
        layerNormForward(a.norm, a.normMean, a.normRstd, a.layers[c.depth - 1].res2, p("norm.weight"), p("norm.bias"), rows: rows, c: d)
        switch c.pooling {
        case .gap:
            meanPoolForward(a.pooled, a.norm, b: b, n: n, c: d)
        case .map:
            let q = a.map!
            linearForward(q.query, p("attn_pool.latent"), p("attn_pool.q.weight"), p("attn_pool.q.bias"), rows: 1, c: d, oc: d, precision: precision)
            linearForward(q.kv, a.norm, p("attn_pool.kv.weight"), p("attn_pool.kv.bias"), rows: rows, c: d, oc: 2 * d, precision: precision)
            probeAttentionForward(q.attnOut, q.att, q.query, q.kv, b: b, n: n, c: d, heads: c.heads)
            linearForward(q.proj, q.attnOut, p("attn_pool.proj.weight"), p("attn_pool.proj.bias"), rows: b, c: d, oc: d, precision: precision)
            layerNormForward(q.ln, q.lnMean, q.lnRstd, q.proj, p("attn_pool.norm.weight"), p("attn_pool.norm.bias"), rows: b, c: d)
            linearForward(q.fc1, q.ln, p("attn_pool.mlp.fc1.weight"), p("attn_pool.mlp.fc1.bias"), rows: b, c: d, oc: m, precision: precision)
            geluForward(q.gelu, q.fc1, count: b * m)
            linearForward(a.scratch, q.gelu, p("attn_pool.mlp.fc2.weight"), p("attn_pool.mlp.fc2.bias"), rows: b, c: m, oc: d, precision: precision)
            residualForward(a.pooled, q.proj, a.scratch, count: b * d)
        }
        linearForward(a.headOut, a.pooled, p("head.weight"), p("head.bias"), rows: b, c: d, oc: c.embedding, precision: precision)
        l2NormalizeForward(a.embeddings, a.embeddingNorms, a.headOut, b: b, c: c.embedding)
    }

    // MARK: Backward

    /// acts.dEmbeddings (b,e) -> gradients (added). Walks the forward pass in reverse; `a.dStream`
    /// carries the gradient of the residual stream from block to block.
    func backward(_ pixels: UnsafePointer<Float>, _ a: Activations) {
        let c = config, b = a.batch, n = c.tokens, d = c.width, m = c.mlpWidth, rows = b * n
        let p = parameterPointers(), g = gradientPointers()
        func zeroed(_ x: UnsafeMutablePointer<Float>, _ count: Int) -> UnsafeMutablePointer<Float> {
            x.update(repeating: 0, count: count)
            return x
        }
        let dHeadOut = zeroed(a.dSmall1, b * c.embedding)
        l2NormalizeBackward(dHeadOut, a.dEmbeddings, a.embeddings, a.embeddingNorms, b: b, c: c.embedding)
        let dPooled = zeroed(a.dSmall2, b * d)
        linearBackward(dPooled, g("head.weight"), g("head.bias"), dHeadOut, a.pooled, p("head.weight"), rows: b, c: d, oc: c.embedding, precision: precision)
        let dNorm = zeroed(a.dTokens, rows * d)
        switch c.pooling {
        case .gap:
            meanPoolBackward(dNorm, dPooled, b: b, n: n, c: d)
        case .map:
            let q = a.map!
            // pooled = proj + fc2(gelu(fc1(norm(proj)))): dProj starts as dPooled.
            let dProj = a.dSmall3
            dProj.update(from: dPooled, count: b * d)
            let dGelu = zeroed(a.dSmallWide1, b * m), dFc1 = zeroed(a.dSmallWide2, b * m)
            linearBackward(dGelu, g("attn_pool.mlp.fc2.weight"), g("attn_pool.mlp.fc2.bias"), dPooled, q.gelu, p("attn_pool.mlp.fc2.weight"), rows: b, c: m, oc: d, precision: precision)
            geluBackward(dFc1, dGelu, q.fc1, count: b * m)
            let dLn = zeroed(a.dSmall1, b * d)
            linearBackward(dLn, g("attn_pool.mlp.fc1.weight"), g("attn_pool.mlp.fc1.bias"), dFc1, q.ln, p("attn_pool.mlp.fc1.weight"), rows: b, c: d, oc: m, precision: precision)
            layerNormBackward(dProj, g("attn_pool.norm.weight"), g("attn_pool.norm.bias"), dLn, q.proj, p("attn_pool.norm.weight"), q.lnMean, q.lnRstd, rows: b, c: d)
            let dAttnOut = zeroed(a.dSmall2, b * d)
            linearBackward(dAttnOut, g("attn_pool.proj.weight"), g("attn_pool.proj.bias"), dProj, q.attnOut, p("attn_pool.proj.weight"), rows: b, c: d, oc: d, precision: precision)
            let dQuery = zeroed(a.dSmall1, d), dKV = zeroed(a.dWide, rows * 2 * d)
            probeAttentionBackward(dQuery, dKV, dAttnOut, q.query, q.kv, q.att, b: b, n: n, c: d, heads: c.heads)
            linearBackward(dNorm, g("attn_pool.kv.weight"), g("attn_pool.kv.bias"), dKV, a.norm, p("attn_pool.kv.weight"), rows: rows, c: d, oc: 2 * d, precision: precision)
            linearBackward(g("attn_pool.latent"), g("attn_pool.q.weight"), g("attn_pool.q.bias"), dQuery, p("attn_pool.latent"), p("attn_pool.q.weight"), rows: 1, c: d, oc: d, precision: precision)
        }
        let dStream = zeroed(a.dStream, rows * d)
        layerNormBackward(dStream, g("norm.weight"), g("norm.bias"), dNorm, a.layers[c.depth - 1].res2, p("norm.weight"), a.normMean, a.normRstd, rows: rows, c: d)
        for l in stride(from: c.depth - 1, through: 0, by: -1) {
            let block = "blocks.\(l).", s = a.layers[l]
            let x = l == 0 ? a.embedded : a.layers[l - 1].res2
            // res2 = res1 + fc2(gelu(fc1(norm2(res1)))): dStream flows on to res1 unchanged.
            // Scratch gradients are written, not added (accumulate: false), so none is zeroed.
            let dGelu = a.dWide, dFc1 = a.dWide, dLn2 = a.dTokens  // GELU's backward runs in place
            linearBackward(dGelu, g(block + "mlp.fc2.weight"), g(block + "mlp.fc2.bias"), dStream, s.gelu, p(block + "mlp.fc2.weight"), rows: rows, c: m, oc: d, accumulate: false, precision: precision)
            geluBackward(dFc1, dGelu, s.fc1, count: rows * m, accumulate: false)  // element by element: in place is safe
            linearBackward(dLn2, g(block + "mlp.fc1.weight"), g(block + "mlp.fc1.bias"), dFc1, s.ln2, p(block + "mlp.fc1.weight"), rows: rows, c: d, oc: m, accumulate: false, precision: precision)
            layerNormBackward(dStream, g(block + "norm2.weight"), g(block + "norm2.bias"), dLn2, s.res1, p(block + "norm2.weight"), s.ln2Mean, s.ln2Rstd, rows: rows, c: d)
            // res1 = x + proj(attention(qkv(norm1(x)))): dStream flows on to x unchanged.
            let dAttnOut = a.dTokens, dQKV = a.dWide, dLn1 = a.dTokens
            linearBackward(dAttnOut, g(block + "attn.proj.weight"), g(block + "attn.proj.bias"), dStream, s.attnOut, p(block + "attn.proj.weight"), rows: rows, c: d, oc: d, accumulate: false, precision: precision)
            attentionBackward(dQKV, dAttnOut, s.qkv, s.att, b: b, n: n, c: d, heads: c.heads)
            linearBackward(dLn1, g(block + "attn.qkv.weight"), g(block + "attn.qkv.bias"), dQKV, s.ln1, p(block + "attn.qkv.weight"), rows: rows, c: d, oc: 3 * d, accumulate: false, precision: precision)
            layerNormBackward(dStream, g(block + "norm1.weight"), g(block + "norm1.bias"), dLn1, x, p(block + "norm1.weight"), s.ln1Mean, s.ln1Rstd, rows: rows, c: d)
        }
        positionBackward(nil, g("pos_embed"), dStream, b: b, n: n, c: d)
        linearBackward(nil, g("patch_embed.proj.weight"), g("patch_embed.proj.bias"), dStream, a.patches, p("patch_embed.proj.weight"), rows: rows, c: c.patchSize, oc: d, precision: precision)
    }

    private func parameterPointers() -> (String) -> UnsafeMutablePointer<Float> {
        let table = table, arena = parameters
        return { arena[table[$0]] }
    }

    private func gradientPointers() -> (String) -> UnsafeMutablePointer<Float> {
        let table = table, arena = gradients
        return { arena[table[$0]] }
    }
}

/// Every buffer one tower batch size needs, forward and backward, allocated together once.
/// Per layer it keeps what that layer's backward reads (llm.c's ActivationTensors); the outputs
/// of the two projections back into the stream go to `scratch`, since no backward reads them.
final class Activations {
    struct Layer {
        var ln1, ln1Mean, ln1Rstd, qkv, att, attnOut, res1, ln2, ln2Mean, ln2Rstd, fc1, gelu, res2: UnsafeMutablePointer<Float>
    }
    struct MAP {
        var query, kv, att, attnOut, proj, ln, lnMean, lnRstd, fc1, gelu: UnsafeMutablePointer<Float>
    }

    let batch: Int
    let patches, embedded: UnsafeMutablePointer<Float>
    var layers: [Layer] = []
    let norm, normMean, normRstd, pooled, headOut, embeddings, embeddingNorms, scratch: UnsafeMutablePointer<Float>
    var map: MAP?
    // Gradients of activations: reused from layer to layer.
    let dEmbeddings, dStream, dTokens, dWide: UnsafeMutablePointer<Float>
    let dSmall1, dSmall2, dSmall3, dSmallWide1, dSmallWide2: UnsafeMutablePointer<Float>
    private let storage: UnsafeMutablePointer<Float>

    /// The buffers in allocation order, as (count) for one batch size; `floatCount` sums them.
    private static func sizes(_ c: ViTConfig, batch b: Int) -> [Int] {
        let n = c.tokens, d = c.width, m = c.mlpWidth, rows = b * n, e = c.embedding, h = c.heads
        let layer = [rows * d, rows, rows, rows * 3 * d, b * h * n * n, rows * d, rows * d, rows * d, rows, rows, rows * m, rows * m, rows * d]
        let map = c.pooling == .map ? [d, rows * 2 * d, b * h * n, b * d, b * d, b * d, b, b, b * m, b * m] : []
        let top = [rows * c.patchSize, rows * d]
        let bottom = [rows * d, rows, rows, b * d, b * e, b * e, b, rows * max(d, m)]
        let grads = [b * e, rows * d, rows * d, rows * max(3 * d, m, 2 * d),
                     b * max(d, e), b * max(d, e), b * d, b * m, b * m]
        return top + Array(repeating: layer, count: c.depth).flatMap { $0 } + bottom + map + grads
    }

    static func floatCount(_ c: ViTConfig, batch b: Int) -> Int { sizes(c, batch: b).reduce(0, +) }

    init(_ c: ViTConfig, batch b: Int) {
        batch = b
        let sizes = Self.sizes(c, batch: b)
        storage = .allocate(capacity: sizes.reduce(0, +))
        storage.initialize(repeating: 0, count: sizes.reduce(0, +))
        var next = storage, i = 0
        func take() -> UnsafeMutablePointer<Float> {
            defer { next += sizes[i]; i += 1 }
            return next
        }
        patches = take(); embedded = take()
        for _ in 0..<c.depth {
            layers.append(Layer(ln1: take(), ln1Mean: take(), ln1Rstd: take(), qkv: take(), att: take(), attnOut: take(), res1: take(),
                                ln2: take(), ln2Mean: take(), ln2Rstd: take(), fc1: take(), gelu: take(), res2: take()))
        }
        norm = take(); normMean = take(); normRstd = take(); pooled = take(); headOut = take()
        embeddings = take(); embeddingNorms = take(); scratch = take()
        if c.pooling == .map {
            map = MAP(query: take(), kv: take(), att: take(), attnOut: take(), proj: take(), ln: take(), lnMean: take(), lnRstd: take(),
                      fc1: take(), gelu: take())
        }
        dEmbeddings = take(); dStream = take(); dTokens = take(); dWide = take()
        dSmall1 = take(); dSmall2 = take(); dSmall3 = take(); dSmallWide1 = take(); dSmallWide2 = take()
        precondition(i == sizes.count, "every activation buffer is taken once.")
    }

    deinit { storage.deallocate() }
}

extension Optional where Wrapped == [Float] {
    /// The array's base address for the call, or nil.
    func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let array): array.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: body(nil)
        }
    }
}
