import Foundation
import LgregCore
import LgregRuntime
import Testing

@testable import LgregTraining

/// Losses against finite differences and hand-worked values; AdamW, the schedule, clipping and augmentation
/// against hand-worked cases.
@Suite struct LossAndOptimizerTests {
    @Test func crossEntropyWithSmoothingMatchesFiniteDifferences() {
        let batch = 3
        let classes = 4
        let eps = 0.1
        let logits = randomValues(batch * classes, seed: 21).map { $0 * 3 }
        let labels = [2, 0, 3]
        // Double reference: −(1/B) Σ_b Σ_c q_bc log softmax(z_b)_c with q = (1−ε)·onehot + ε/C.
        func loss(_ z: [Double]) -> [Double] {
            var total = 0.0
            for b in 0..<batch {
                let row = Array(z[(b * classes)..<((b + 1) * classes)])
                let m = row.max()!
                let lse = log(row.map { exp($0 - m) }.reduce(0, +)) + m
                for c in 0..<classes {
                    total -= ((c == labels[b] ? 1 - eps : 0) + eps / Double(classes)) * (row[c] - lse)
                }
            }
            return [total / Double(batch)]
        }
        let ce = CrossEntropy(smoothing: Float(eps))
        var probs = [Float](repeating: 0, count: batch * classes)
        var grad = [Float](repeating: 0, count: batch * classes)
        let value = ce.forward(logits: logits.floats, labels: labels, probs: &probs, classes: classes)
        ce.backward(dlogits: &grad, probs: probs, labels: labels, classes: classes, weight: 1)
        #expect(abs(Double(value) - loss(logits)[0]) < 1e-6)
        #expect(relativeError(grad, numericGradient(of: loss, at: logits, dout: [1])) < 1e-4)
        // Equal logits: the loss is log C whatever the smoothing.
        let flat = ce.forward(
            logits: [Float](repeating: 0.7, count: classes), labels: [1], probs: &probs, classes: classes)
        #expect(abs(flat - logf(Float(classes))) < 1e-6)
    }

    @Test func distillationMatchesFiniteDifferences() {
        let batch = 2
        let classes = 5
        let tau = 2.0
        let student = randomValues(batch * classes, seed: 22).map { $0 * 4 }
        let teacher = randomValues(batch * classes, seed: 23).map { $0 * 4 }
        // τ²·Σ_b KL(softmax(t/τ) ‖ softmax(s/τ)) / (B·C), DeiT's normalization.
        func kd(_ s: [Double]) -> [Double] {
            var total = 0.0
            for b in 0..<batch {
                func logSoftmax(_ z: [Double]) -> [Double] {
                    let x = z.map { $0 / tau }
                    let m = x.max()!
                    let lse = log(x.map { exp($0 - m) }.reduce(0, +)) + m
                    return x.map { $0 - lse }
                }
                let ls = logSoftmax(Array(s[(b * classes)..<((b + 1) * classes)]))
                let lt = logSoftmax(Array(teacher[(b * classes)..<((b + 1) * classes)]))
                for c in 0..<classes { total += exp(lt[c]) * (lt[c] - ls[c]) }
            }
            return [total * tau * tau / Double(batch * classes)]
        }
        let term = SoftDistillation(temperature: Float(tau))
        var sp = [Float](repeating: 0, count: batch * classes)
        var tp = sp
        var grad = sp
        let value = term.forward(
            student: student.floats, teacher: teacher.floats, studentProbs: &sp, teacherProbs: &tp, batch: batch,
            classes: classes)
        term.backward(dstudent: &grad, studentProbs: sp, teacherProbs: tp, batch: batch, classes: classes, weight: 1)
        #expect(abs(Double(value) - kd(student)[0]) < 1e-6)
        #expect(relativeError(grad, numericGradient(of: kd, at: student, dout: [1])) < 1e-4)
        // A student equal to its teacher: no loss, no gradient.
        let same = term.forward(
            student: teacher.floats, teacher: teacher.floats, studentProbs: &sp, teacherProbs: &tp, batch: batch,
            classes: classes)
        #expect(abs(same) < 1e-7)
    }

    @Test func objectiveBlendsTheTwoTerms() {
        let logits: [Float] = [1, -2, 0.5]
        let teacher: [Float] = [0, 1, 2]
        var grad = [Float](repeating: 0, count: 3)
        var probs = grad
        var tp = grad
        let ce = CrossEntropy(smoothing: 0).forward(logits: logits, labels: [0], probs: &probs, classes: 3)
        let kd = SoftDistillation(temperature: 2).forward(
            student: logits, teacher: teacher, studentProbs: &probs, teacherProbs: &tp, batch: 1, classes: 3)
        let blended = DistillationObjective(alpha: 0.25, temperature: 2, labelSmoothing: 0)
            .lossAndGradient(logits: logits, labels: [0], teacher: teacher, dlogits: &grad, classes: 3)
        #expect(abs(blended - (0.75 * ce + 0.25 * kd)) < 1e-6)
    }

    @Test func adamWStepByHand() {
        // p = 1, g = 0.5, lr = 0.1, λ = 0.1, t = 1: decay → 0.99; m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε) ≈ 0.1.
        let p = FloatBuffer([1, 1])
        let g = FloatBuffer([0.5, 0.5])
        let m = FloatBuffer(count: 2)
        let v = FloatBuffer(count: 2)
        AdamW(weightDecay: 0.1).step(
            params: p.pointer, grads: g, m: m, v: v, decayMask: FloatBuffer([1, 0]), learningRate: 0.1, step: 1)
        #expect(abs(p[0] - 0.89) < 1e-6)
        #expect(abs(p[1] - 0.9) < 1e-6)
        #expect(abs(m[0] - 0.05) < 1e-7 && abs(v[0] - 0.00025) / 0.00025 < 1e-4)
    }

    @Test func warmupThenCosine() {
        let schedule = LearningRateSchedule(peak: 1, floor: 0.1, warmupSteps: 4, totalSteps: 14)
        #expect(schedule.rate(at: 0) == 0.25)
        #expect(schedule.rate(at: 3) == 1)
        #expect(abs(schedule.rate(at: 4) - 1) < 1e-6)
        #expect(abs(schedule.rate(at: 9) - 0.55) < 1e-6)  // half way: floor + (peak − floor)/2
        #expect(abs(schedule.rate(at: 14) - 0.1) < 1e-6)
    }

    @Test func clippingByGlobalNorm() {
        let grads = FloatBuffer([3, 4])
        #expect(clipGradientNorm(grads, maxNorm: 1) == 5)
        #expect(abs(grads[0] - 0.6) < 1e-6 && abs(grads[1] - 0.8) < 1e-6)
        let small = FloatBuffer([0.3, 0.4])
        clipGradientNorm(small, maxNorm: 1)
        #expect(small.array == [0.3, 0.4])
    }

    @Test func dropPathRatesGrowLinearly() {
        #expect(dropPathRates(rate: 0.1, depth: 3) == [0, 0.05, 0.1])
    }

    @Test func augmentationIsACropOfThePaddedImageThenAFlip() {
        // A 3×3 image with padding 1: every output must be one of the 9 shifts × 2 flips, each reachable.
        let image: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        let fill: Float = -1
        func expected(dy: Int, dx: Int, flip: Bool) -> [Float] {
            (0..<9).map { i in
                let y = i / 3 + dy
                let x = (flip ? 2 - i % 3 : i % 3) + dx
                return (0..<3).contains(y) && (0..<3).contains(x) ? image[y * 3 + x] : fill
            }
        }
        var all: Set<[Float]> = []
        for dy in -1...1 {
            for dx in -1...1 { for flip in [false, true] { all.insert(expected(dy: dy, dx: dx, flip: flip)) } }
        }
        var seen: Set<[Float]> = []
        let augmentation = Augmentation(padding: 1, horizontalFlip: true)
        for seed in 0..<400 {
            var rng = SplitMix64(seed: UInt64(seed))
            var out = [Float](repeating: 0, count: 9)
            augmentation.apply(image, into: &out, channels: 1, size: 3, fill: fill, rng: &rng)
            #expect(all.contains(out), "output \(out) is no crop-and-flip of the image")
            seen.insert(out)
        }
        #expect(seen == all)
    }
}
