// The CLIPPO training step alone (issue #9): forward + backward + clip + AdamW on fixed random
// inputs, batch 32 pairs (64 tower inputs), image 224, the same model as the peer
// (../shared/bench/peers/clippo_train.py: ViT patch 16, no class token, mean pooling, head to
// 768). Also the machine's sgemm ceiling (2048², this process's OpenBLAS settings) and the
// kernel OpenBLAS uses; `make bench-train` runs this twice, with and without OPENBLAS_CORETYPE.
// And --write-reference-model: the tiny model and batch Tests/Golden/clippo_reference.py reads.
import CurateCore
import Foundation
import Kernels
import Train

/// FLOPs (2 per multiply-add, matrix products only) of one tower input's forward pass, the
/// peer's formula: patch 2·N·3p²·D + blocks L·(24·N·D² + 4·N²·D) + head 2·D·E.
func forwardFLOPs(_ c: ViTConfig) -> Double {
    let n = Double(c.tokens), d = Double(c.width)
    return 2 * n * Double(c.patchSize) * d + Double(c.depth) * (24 * n * d * d + 4 * n * n * d) + 2 * d * Double(c.embedding)
}

func sgemmCeiling() -> Double {
    let n = 2048
    let a = [Float](repeating: 0.5, count: n * n), b = a
    var c = [Float](repeating: 0, count: n * n)
    var best = 0.0
    for _ in 0..<5 {
        let start = now()
        c.withUnsafeMutableBufferPointer { BLAS.sgemm(m: n, n: n, k: n, a: a, b: b, c: $0.baseAddress!) }
        best = max(best, 2 * Double(n * n * n) / (now() - start) / 1e9)
    }
    return best
}

func trainStepBench(_ variants: String) {
    BLAS.setThreads(options.threads)
    KernelThreads.count = options.threads
    let coretype = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset"
    let ceiling = sgemmCeiling()
    print(String(format: "# curate-bench train: %@; OpenBLAS kernel %@ (OPENBLAS_CORETYPE=%@), %d threads, sgemm 2048² ceiling %.0f GFLOP/s; products in %@",
                 CPU.model, BLAS.coreName, coretype, options.threads, ceiling, options.precision.rawValue))
    if options.precision == .bf16 && !BLAS.bf16Supported { fatalError("curate-bench: this CPU has no AVX512-BF16") }
    print("model       params  pairs/s  step s (min..max)     fwd+bwd    opt  GFLOP/s  of ceiling  activations  loss first->last")
    for name in variants.split(separator: ",").map(String.init) {
        let config = try! ViTConfig.named(name).overriding(["pooling=gap", "embedding=768"])
        let pairs = 32, steps = options.reps, warmup = 2
        let model = CLIPPO(config: config, seed: 0)
        model.precision = options.precision
        let optimizer = AdamW(table: model.table, weightDecay: 1e-4)
        var rng = SeededRNG(seed: 1)
        let pixels = (0..<(2 * pairs * 3 * config.imageSize * config.imageSize)).map { _ in Float(rng.unit() * 2 - 1) }
        var times: [Double] = [], parts: [(Double, Double)] = [], losses: [Float] = []
        for step in 0..<(warmup + steps) {
            let start = now()
            let loss = pixels.withUnsafeBufferPointer { model.lossAndGradients($0.baseAddress!, pairs: pairs) }
            let middle = now()
            clipGlobalNorm(model.gradients, maxNorm: 1)
            optimizer.update(model.parameters, model.gradients, learningRate: 1e-3)
            let end = now()
            losses.append(loss)
            if step >= warmup { times.append(end - start); parts.append((middle - start, end - middle)) }
        }
        let median = times.sorted()[times.count / 2]
        let flops = 3 * forwardFLOPs(config) * Double(2 * pairs)
        let line = String(format: "%-10@ %6.1fM %8.2f %8.2f (%.2f..%.2f) %10.2f %6.3f %8.0f %10.0f%% %9.0f MB  %.3f->%.3f",
                          name, Double(model.table.count) / 1e6, Double(pairs) / median, median, times.min()!, times.max()!,
                          parts.map(\.0).sorted()[parts.count / 2], parts.map(\.1).sorted()[parts.count / 2],
                          flops / median / 1e9, 100 * flops / median / 1e9 / ceiling,
                          Double(model.activationBytes(batch: 2 * pairs)) / 1e6, losses.first!, losses.last!)
        print(line)
        if let json = options.json {
            let record = "{\"model\": \"\(name)\", \"pairs_per_s\": \(Double(pairs) / median), \"gflops\": \(flops / median / 1e9), \"ceiling\": \(ceiling), \"kernel\": \"\(BLAS.coreName)\", \"coretype\": \"\(coretype)\", \"precision\": \"\(options.precision.rawValue)\"}\n"
            append(record, to: json)
        }
    }
}

/// The tiny model of odd sizes and the fixed batch that the PyTorch reference reads.
func writeReferenceModel(_ path: String, pooling: String) {
    let config = try! ViTConfig(width: 16, depth: 2, heads: 2, patch: 4, imageSize: 12, embedding: 12)
        .overriding(["pooling=\(pooling)"])
    let model = CLIPPO(config: config, seed: 7)
    var rng = SeededRNG(seed: 11)
    let pairs = 3
    let pixels = (0..<(2 * pairs * 3 * 12 * 12)).map { _ in Float(rng.unit() * 2 - 1) }
    try! pixels.withUnsafeBufferPointer {
        try Checkpoint.save(model, to: path, extra: [Safetensors.Entry(name: "input.pixels", shape: [2 * pairs, 3, 12, 12], values: $0)])
    }
    print("wrote \(path): \(config.summary)")
}

/// The element-wise kernels alone on ViT-Ti/16's shapes at batch 64 (--kernels): where a
/// training step's time goes outside the matrix products.
func kernelBench() {
    let rows = 64 * 196, d = 192, m = 768
    var rng = SeededRNG(seed: 2)
    let wide = (0..<(rows * m)).map { _ in Float(rng.unit() * 6 - 3) }
    var out = [Float](repeating: 0, count: rows * m), grad = out
    func time(_ name: String, elements: Int, _ body: () -> Void) {
        body()
        let start = now()
        for _ in 0..<3 { body() }
        let seconds = (now() - start) / 3
        print(String(format: "%-40@ %8.2f ms  %7.2f ns/element", name, seconds * 1000, seconds * 1e9 / Double(elements)))
    }
    time("gelu forward", elements: rows * m) { geluForward(&out, wide, count: rows * m) }
    time("gelu backward", elements: rows * m) { geluBackward(&grad, out, wide, count: rows * m) }
    let weight = [Float](repeating: 1, count: d), bias = [Float](repeating: 0, count: d)
    var mean = [Float](repeating: 0, count: rows), rstd = mean
    time("layernorm forward", elements: rows * d) { layerNormForward(&out, &mean, &rstd, wide, weight, bias, rows: rows, c: d) }
    var qkv = Array(wide[0..<(rows * 3 * d)]), att = [Float](repeating: 0, count: 64 * 3 * 196 * 196)
    for i in qkv.indices { qkv[i] *= 0.3 }
    time("attention forward (Ti, b 64)", elements: att.count) { attentionForward(&out, &att, qkv, b: 64, n: 196, c: d, heads: 3) }
    KernelThreads.count = 1
    time("attention forward, one thread", elements: att.count) { attentionForward(&out, &att, qkv, b: 64, n: 196, c: d, heads: 3) }
    KernelThreads.count = 2
    let pair = (0..<(196 * 64)).map { _ in Float(rng.unit()) }
    var scores = [Float](repeating: 0, count: 196 * 196)
    time("one head's q·kᵀ (196×196×64), x192", elements: 192 * 196 * 196) {
        for _ in 0..<192 { scores.withUnsafeMutableBufferPointer { BLAS.sgemm(m: 196, n: 196, k: 64, a: pair, b: pair, transB: true, c: $0.baseAddress!) } }
    }
}

/// curate's row-block products on both cores against one OpenBLAS call on its own two threads,
/// for ViT-Ti/16's fc1 at batch 64 (--kernels).
func gemmSplitBench() {
    let rows = 64 * 196, c = 192, oc = 768
    var rng = SeededRNG(seed: 3)
    let inp = (0..<(rows * c)).map { _ in Float(rng.unit() - 0.5) }, weight = (0..<(oc * c)).map { _ in Float(rng.unit() - 0.5) }
    var out = [Float](repeating: 0, count: rows * oc), dweight = [Float](repeating: 0, count: oc * c), dinp = inp
    func time(_ name: String, flops: Double, _ body: () -> Void) {
        body()
        let start = now()
        for _ in 0..<5 { body() }
        let seconds = (now() - start) / 5
        print(String(format: "%-44@ %7.2f ms  %6.1f GFLOP/s", name, seconds * 1000, flops / seconds / 1e9))
    }
    let flops = 2 * Double(rows * c * oc)
    let bias = [Float](repeating: 0.1, count: oc)
    var activated = out
    time("fc1 forward + bias + GELU, two kernels", flops: flops) {
        linearForward(&out, inp, weight, bias, rows: rows, c: c, oc: oc)
        geluForward(&activated, out, count: rows * oc)
    }
    time("fc1 forward + bias + GELU, fused", flops: flops) { linearGeluForward(&out, &activated, inp, weight, bias, rows: rows, c: c, oc: oc) }
    time("fc1 forward, curate's row blocks", flops: flops) { linearForward(&out, inp, weight, nil, rows: rows, c: c, oc: oc) }
    time("fc1 backward (dinp, dweight), row blocks", flops: 2 * flops) {
        linearBackward(&dinp, &dweight, nil, out, inp, weight, rows: rows, c: c, oc: oc, accumulate: false)
    }
    KernelThreads.count = 1
    BLAS.setThreads(2)
    time("fc1 forward, one call, OpenBLAS 2 threads", flops: flops) { linearForward(&out, inp, weight, nil, rows: rows, c: c, oc: oc) }
    time("fc1 backward, one call each, OpenBLAS 2 threads", flops: 2 * flops) {
        linearBackward(&dinp, &dweight, nil, out, inp, weight, rows: rows, c: c, oc: oc, accumulate: false)
    }
    BLAS.setThreads(1)
    KernelThreads.count = 2
}
