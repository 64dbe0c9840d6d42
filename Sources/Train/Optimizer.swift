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
    public private(set) var step = 0
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
