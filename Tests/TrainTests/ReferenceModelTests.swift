import Foundation
import Testing
import Kernels
import CurateCore
@testable import Train

/// curate's whole model against timm's VisionTransformer in PyTorch (Tests/Golden/clippo_reference.py):
/// the same tiny checkpoint and batch, the embeddings, the loss, every parameter's gradient, and a
/// 4-loss trace around 3 steps of clipping + AdamW.
///
/// Tolerances. Both sides compute in Float32 but sum in different orders (OpenBLAS vs PyTorch's
/// kernels, fused vs unfused attention), so each value carries rounding of a few ulps per
/// operation times the depth of the computation (two blocks, pooling, head, loss: a few dozen
/// operations): about 1e-6 relative. Measured: embeddings within 3.5e-7, loss within 6e-7,
/// gradients within 4.9e-6 of each tensor's largest entry, trace within 5e-6 relative. The bounds
/// are four to thirty times those: 2e-5 (embeddings, loss), 2e-5 of each tensor's largest gradient,
/// 1e-4 relative on each loss of the trace (three Adam steps at lr 1e-2 compound the rounding).
/// A wrong formula is far outside them: LayerNorm's eps at 1e-5 instead of 1e-6 alone moves the
/// gradients by 1e-4 (tried), a missing 1/√hs or a transposed weight by far more.
@Suite struct ReferenceModelTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Golden/clippo")

    @Test(arguments: ["map", "gap"]) func matchesPyTorch(pooling: String) throws {
        let path = Self.folder.appendingPathComponent("reference-\(pooling).safetensors").path
        let (model, file) = try Checkpoint.load(path)
        #expect(model.config.pooling.rawValue == pooling)
        let pixels = try #require(file.tensors["input.pixels"]).values
        let count = pixels.count / (3 * model.config.imageSize * model.config.imageSize), pairs = count / 2

        let embeddings = pixels.withUnsafeBufferPointer { model.embed($0.baseAddress!, count: count) }
        let expectedEmbeddings = try #require(file.tensors["expected.embeddings"]).values
        let embeddingError = zip(embeddings, expectedEmbeddings).map { abs($0 - $1) }.max()!
        #expect(embeddingError < 2e-5, "embeddings differ by \(embeddingError)")

        let loss = pixels.withUnsafeBufferPointer { model.lossAndGradients($0.baseAddress!, pairs: pairs) }
        let expectedLoss = try #require(file.tensors["expected.loss"]).values[0]
        #expect(abs(loss - expectedLoss) < 2e-5, "loss \(loss), PyTorch \(expectedLoss)")

        var worst = (name: "", error: Float(0))
        for spec in model.table.entries {
            let expected = try #require(file.tensors["expected.grad." + spec.name], "no PyTorch gradient for \(spec.name)")
            #expect(expected.shape == spec.shape, "\(spec.name): PyTorch's shape \(expected.shape), curate's \(spec.shape)")
            let scale = max(expected.values.map(abs).max()!, 1e-6)
            let error = (0..<spec.count).map { abs(model.gradients[spec][$0] - expected.values[$0]) }.max()! / scale
            if error > worst.error { worst = (spec.name, error) }
            #expect(error < 2e-5, "gradient of \(spec.name) differs by \(error) of its largest entry \(scale)")
        }
        print("reference \(pooling): embeddings within \(embeddingError), loss \(loss) vs \(expectedLoss), worst gradient \(worst.name) \(worst.error)")

        let trace = try #require(file.tensors["expected.losses"]).values
        let optimizer = AdamW(table: model.table, weightDecay: 1e-4)
        var losses: [Float] = []
        for step in 0..<trace.count {
            let loss = pixels.withUnsafeBufferPointer { model.lossAndGradients($0.baseAddress!, pairs: pairs) }
            losses.append(loss)
            if step == trace.count - 1 { break }
            clipGlobalNorm(model.gradients, maxNorm: 1)
            optimizer.update(model.parameters, model.gradients, learningRate: 1e-2)
        }
        print("reference \(pooling): trace \(losses) vs PyTorch \(trace)")
        for (ours, theirs) in zip(losses, trace) { #expect(abs(ours - theirs) <= 1e-4 * max(1, abs(theirs)), "trace \(losses) vs PyTorch \(trace)") }
    }
}

/// curate's bf16 path against PyTorch's bf16 autocast on the same checkpoint and batch.
///
/// Tolerances. The two round different things to bf16 (8-bit significands, a relative error of
/// up to 2⁻⁹ per rounding): curate rounds only the operands of the linear layers' products and
/// keeps every output in fp32; autocast also rounds those products' outputs, attention's
/// operands and GELU's input and output. So neither is the other's reference to fp32 accuracy:
/// each differs from fp32 by the bf16 effect, and from each other by up to about twice it.
/// Measured on this tiny model (two blocks; width 16; AMD EPYC, torch 2.15): embeddings 6.1e-3
/// (map) and 3.7e-3 (gap) apart, each side about 6e-3 and 4e-3 from fp32; losses 0.5% and 1.2%
/// apart; gradients within 4.9e-2 of each tensor's largest entry. The bounds are about three
/// times those: 2e-2 on the embeddings, 3e-2 relative on the loss, 1.5e-1 of each tensor's
/// largest gradient entry; and curate's bf16 must stay as close to fp32 PyTorch as autocast
/// does (within twice autocast's own distance from fp32), so a product left in fp32 by mistake
/// would pass but a wrong one (a transposed pair, a dropped k) fails by the size of the values.
@Suite struct ReferenceModelBF16Tests {
    @Test(arguments: ["map", "gap"]) func matchesPyTorchAutocast(pooling: String) throws {
        guard BLAS.bf16Supported else {
            print("skipped: this CPU (\(CPU.model)) has no AVX512-BF16, so curate's bf16 path cannot run here")
            return
        }
        let path = ReferenceModelTests.folder.appendingPathComponent("reference-\(pooling).safetensors").path
        let (model, file) = try Checkpoint.load(path)
        model.precision = .bf16
        let pixels = try #require(file.tensors["input.pixels"]).values
        let count = pixels.count / (3 * model.config.imageSize * model.config.imageSize), pairs = count / 2
        func largest(_ x: [Float]) -> Float { max(x.map(abs).max()!, 1e-6) }

        let embeddings = pixels.withUnsafeBufferPointer { model.embed($0.baseAddress!, count: count) }
        let autocast = try #require(file.tensors["expected.bf16.embeddings"]).values, fp32 = try #require(file.tensors["expected.embeddings"]).values
        let embeddingError = zip(embeddings, autocast).map { abs($0 - $1) }.max()!
        let autocastDistance = zip(autocast, fp32).map { abs($0 - $1) }.max()!, ourDistance = zip(embeddings, fp32).map { abs($0 - $1) }.max()!
        #expect(embeddingError < 2e-2, "embeddings differ from autocast's by \(embeddingError)")
        #expect(ourDistance > 0, "bf16 embeddings equal fp32's: the products did not run in bf16")
        #expect(ourDistance < 2 * autocastDistance + 1e-3, "curate bf16 is \(ourDistance) from fp32, autocast \(autocastDistance)")

        let loss = pixels.withUnsafeBufferPointer { model.lossAndGradients($0.baseAddress!, pairs: pairs) }
        let expectedLoss = try #require(file.tensors["expected.bf16.loss"]).values[0]
        #expect(abs(loss - expectedLoss) < 3e-2 * max(1, abs(expectedLoss)), "loss \(loss), autocast \(expectedLoss)")

        var worst = (name: "", error: Float(0))
        for spec in model.table.entries {
            let expected = try #require(file.tensors["expected.bf16.grad." + spec.name], "no autocast gradient for \(spec.name)").values
            let error = (0..<spec.count).map { abs(model.gradients[spec][$0] - expected[$0]) }.max()! / largest(expected)
            if error > worst.error { worst = (spec.name, error) }
            #expect(error < 1.5e-1, "gradient of \(spec.name) differs by \(error) of its largest entry")
        }
        print("reference bf16 \(pooling): embeddings within \(embeddingError) (curate bf16 to fp32 \(ourDistance), autocast to fp32 \(autocastDistance)), loss \(loss) vs \(expectedLoss), worst gradient \(worst.name) \(worst.error)")
    }
}

/// The whole model's gradients by central differences in Double, independent of PyTorch: a few
/// seeded entries of every tensor (and the temperature) of a tiny model.
@Suite struct ModelGradientCheckTests {
    @Test(arguments: [Pooling.map, .gap]) func wholeModel(pooling: Pooling) throws {
        let config = try ViTConfig(width: 12, depth: 2, heads: 3, patch: 4, imageSize: 8, embedding: 6).overriding(["pooling=\(pooling.rawValue)"])
        let model = CLIPPO(config: config, seed: 3)
        var rng = SeededRNG(seed: 5)
        let pairs = 3
        let pixels = (0..<(2 * pairs * 3 * 8 * 8)).map { _ in Float(rng.unit()) * 2 - 1 }
        func loss() -> Double { Double(pixels.withUnsafeBufferPointer { model.lossAndGradients($0.baseAddress!, pairs: pairs) }) }
        _ = loss()
        let analytic = Array(model.gradients.buffer)
        var worst = (name: "", error: 0.0)
        let h: Float = 1e-2
        for spec in model.table.entries {
            let picks = spec.count <= 4 ? Array(0..<spec.count) : (0..<4).map { _ in rng.below(spec.count) }
            for i in picks {
                let p = model.parameters[spec] + i, keep = p.pointee
                p.pointee = keep + h; let up = loss()
                p.pointee = keep - h; let down = loss()
                p.pointee = keep
                let numeric = (up - down) / (2 * Double(h))
                let error = abs(numeric - Double(analytic[spec.offset + i])) / max(1e-2, abs(numeric))
                if error > worst.error { worst = (spec.name + "[\(i)]", error) }
            }
        }
        // Relative to max(1e-2, |numeric|): central differences at h = 1e-2 on a Float forward
        // are good to about 1e-4 absolute (truncation h², rounding 1e-7/h), i.e. 1e-2 of a
        // gradient of 1e-2.
        #expect(worst.error < 2e-2, "largest difference \(worst.error) at \(worst.name)")
    }
}

/// The same results whatever the thread counts and however often the buffers are reused.
@Suite(.serialized) struct ModelDeterminismTests {
    @Test func reuseAndThreads() throws {
        let config = try ViTConfig(width: 16, depth: 2, heads: 2, patch: 4, imageSize: 16, embedding: 8).overriding([])
        let model = CLIPPO(config: config, seed: 1)
        var rng = SeededRNG(seed: 9)
        let pixels = (0..<(8 * 3 * 16 * 16)).map { _ in Float(rng.unit()) * 2 - 1 }
        func run() -> (Float, [Float]) {
            let loss = pixels.withUnsafeBufferPointer { model.lossAndGradients($0.baseAddress!, pairs: 4) }
            return (loss, Array(model.gradients.buffer))
        }
        let first = run(), again = run()
        #expect(first.0 == again.0 && first.1 == again.1, "a second step on the same buffers gives the same loss and gradients")
        let before = KernelThreads.count
        KernelThreads.count = 1
        defer { KernelThreads.count = before }
        // One thread sums each weight gradient over all rows at once, two threads over two row
        // blocks added at the end (and OpenBLAS picks its kernels by size): Float rounding of a
        // few ulps, ~1e-6 relative.
        let single = run()
        #expect(abs(single.0 - first.0) < 1e-5)
        let largest = first.1.map(abs).max()!
        #expect(zip(single.1, first.1).allSatisfy { abs($0 - $1) < 1e-5 * largest })
        // Embedding a different batch size allocates its own buffers and leaves these intact.
        _ = pixels.withUnsafeBufferPointer { model.embed($0.baseAddress!, count: 3) }
        #expect(run().0 == single.0)
    }
}
