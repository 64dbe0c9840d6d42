// The update after each backward pass: global-norm gradient clipping, then AdamW (decoupled
// weight decay, as torch.optim.AdamW) on the parameter arena. The optimizer's moments are arenas
// laid out by the same table; the table's decay mask says which parameters decay.
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Scales every gradient by maxNorm/‖g‖ when the global L2 norm ‖g‖ exceeds maxNorm (as
/// torch.nn.utils.clip_grad_norm_). Returns the norm before clipping.
@discardableResult
public func clipGlobalNorm(_ gradients: Arena, maxNorm: Float) -> Float {
    var sum: Double = 0
    for i in 0..<gradients.count { sum += Double(gradients.pointer[i]) * Double(gradients.pointer[i]) }
    let norm = Float(sum.squareRoot())
    if norm > maxNorm {
        let scale = maxNorm / (norm + 1e-6)
        for i in 0..<gradients.count { gradients.pointer[i] *= scale }
    }
    return norm
}

public final class AdamW {
    public var beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
    public var weightDecay: Float
    public let m: Arena, v: Arena
    /// Updates taken so far (bias correction uses it).
    public internal(set) var step = 0
    let table: ParameterTable

    public init(table: ParameterTable, weightDecay: Float = 1e-4) {
        self.table = table
        self.weightDecay = weightDecay
        m = Arena(count: table.count)
        v = Arena(count: table.count)
    }

    /// p ← p − lr·wd·p (decaying parameters only), then p ← p − lr·m̂/(√v̂ + ε). Each tensor is
    /// cut in two halves, one per core.
    public func update(_ parameters: Arena, _ gradients: Arena, learningRate lr: Float) {
        step += 1
        let correction1 = 1 - pow(beta1, Float(step)), correction2 = 1 - pow(beta2, Float(step))
        let (beta1, beta2, epsilon, weightDecay, table) = (beta1, beta2, epsilon, weightDecay, table)
        nonisolated(unsafe) let (p, g, m, v) = (parameters.pointer, gradients.pointer, m.pointer, v.pointer)
        DispatchQueue.concurrentPerform(iterations: 2) { half in
            for spec in table.entries {
                let decay: Float = spec.decays ? 1 - lr * weightDecay : 1
                let begin = spec.offset + spec.count * half / 2, end = spec.offset + spec.count * (half + 1) / 2
                for i in begin..<end {
                    m[i] = beta1 * m[i] + (1 - beta1) * g[i]
                    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
                    p[i] = p[i] * decay - lr * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + epsilon)
                }
            }
        }
    }
}

/// Adafactor as big_vision's CLIPPO trains with it (`scale_by_adafactor`: optax's
/// `scale_by_factored_rms` then momentum), with decoupled weight decay from the table's mask:
///   β2_t = min(1 − t^−0.8, cap)                      t = 1, 2, … (decay_rate 0.8)
///   matrices whose first dimension and the product of the others are both ≥ 32 keep row and
///   column means of g² + ε (ε = 1e-30): v_r ← β2·v_r + (1−β2)·mean_cols, v_c likewise, and the
///   update is g / √(v_r/mean(v_r) ⊗ v_c); other tensors keep the full v and update g / √v
///   momentum m ← 0.9·m + update (optax's trace: no (1 − β1) factor), p ← p·(1 − lr·wd) − lr·m
/// A tensor of rank > 2 is factored as (first dimension, the rest), where optax picks its two
/// largest dimensions: the same for every 2-D weight, a simpler choice for the patch embedding.
public final class Adafactor {
    public var weightDecay: Float
    public var momentum: Float = 0.9
    public var decayRate: Float = 0.8
    public var beta2Cap: Float = 0.999
    public var epsilon: Float = 1e-30
    public static let minimumFactoredSize = 32
    /// Updates taken so far.
    public internal(set) var step = 0
    /// Momentum and, per tensor, either the full second moment (at the tensor's offset in `v`) or
    /// its row and column means (at its offset in `v`: rows first, then columns).
    public let m: Arena, v: Arena
    let table: ParameterTable

    public init(table: ParameterTable, weightDecay: Float = 1e-4) {
        self.table = table
        self.weightDecay = weightDecay
        m = Arena(count: table.count)
        v = Arena(count: table.count)
    }

    /// (rows, columns) when the tensor is factored, nil when it keeps a full second moment.
    public static func factoring(_ spec: ParameterSpec) -> (rows: Int, columns: Int)? {
        guard spec.shape.count >= 2 else { return nil }
        let rows = spec.shape[0], columns = spec.count / max(rows, 1)
        return rows >= minimumFactoredSize && columns >= minimumFactoredSize ? (rows, columns) : nil
    }

    public func update(_ parameters: Arena, _ gradients: Arena, learningRate lr: Float) {
        step += 1
        let beta2 = min(1 - pow(Float(step), -decayRate), beta2Cap)
        for spec in table.entries {
            let p = parameters[spec], g = gradients[spec], m = m[spec], v = v[spec]
            let decay: Float = spec.decays ? 1 - lr * weightDecay : 1
            let momentum = momentum
            func apply(_ i: Int, _ update: Float) {
                m[i] = momentum * m[i] + update
                p[i] = p[i] * decay - lr * m[i]
            }
            if let (rows, columns) = Self.factoring(spec) {
                let vr = v, vc = v + rows
                var rowTotal: Double = 0
                for r in 0..<rows {
                    var sum: Double = 0
                    for c in 0..<columns { sum += Double(g[r * columns + c] * g[r * columns + c] + epsilon) }
                    vr[r] = beta2 * vr[r] + (1 - beta2) * Float(sum / Double(columns))
                    rowTotal += Double(vr[r])
                }
                for c in 0..<columns {
                    var sum: Double = 0
                    for r in 0..<rows { sum += Double(g[r * columns + c] * g[r * columns + c] + epsilon) }
                    vc[c] = beta2 * vc[c] + (1 - beta2) * Float(sum / Double(rows))
                }
                let rowMean = Float(rowTotal / Double(rows))
                for r in 0..<rows {
                    let rowFactor = 1 / (vr[r] / rowMean).squareRoot()
                    for c in 0..<columns { apply(r * columns + c, g[r * columns + c] * rowFactor / vc[c].squareRoot()) }
                }
            } else {
                for i in 0..<spec.count {
                    v[i] = beta2 * v[i] + (1 - beta2) * (g[i] * g[i] + epsilon)
                    apply(i, g[i] / v[i].squareRoot())
                }
            }
        }
    }
}

/// Learning-rate schedules, as big_vision defines them (step counts from 0).
public enum Schedule: Sendable, Equatable {
    /// Linear warm-up from 0 to the peak over `warmup` steps, then a half cosine to 0 at `total`.
    case cosine(warmup: Int)
    /// big_vision's "rsqrt": linear warm-up, then peak / √(1 + (step − warmup)/timescale), and a
    /// linear cool-down to 0 over the last `cooldown` steps.
    case rsqrt(warmup: Int, timescale: Int, cooldown: Int)

    public func rate(_ step: Int, peak: Float, total: Int) -> Float {
        switch self {
        case .cosine(let warmup):
            if step < warmup { return peak * Float(step) / Float(warmup) }
            let progress = Float(step - warmup) / Float(max(total - warmup, 1))
            return peak * 0.5 * (1 + cos(Float.pi * min(progress, 1)))
        case .rsqrt(let warmup, let timescale, let cooldown):
            if step < warmup { return peak * Float(step) / Float(warmup) }
            var rate = peak / (1 + Float(step - warmup) / Float(timescale)).squareRoot()
            if cooldown > 0 && step >= total - cooldown { rate *= Float(max(total - step, 0)) / Float(cooldown) }
            return rate
        }
    }
}
