import Foundation
import LgregCore
import LgregRuntime

@testable import LgregTraining

/// Central finite differences of `L(x) = Σ_i dout_i · f(x)_i` in Double: the reference every backward kernel is
/// checked against. `f` is a Double re-implementation of the forward op written in the test.
func numericGradient(of f: ([Double]) -> [Double], at x: [Double], dout: [Double], step: Double = 1e-6) -> [Double] {
    var x = x
    var grad = [Double](repeating: 0, count: x.count)
    for i in x.indices {
        let saved = x[i]
        x[i] = saved + step
        let plus = zip(f(x), dout).reduce(0) { $0 + $1.0 * $1.1 }
        x[i] = saved - step
        let minus = zip(f(x), dout).reduce(0) { $0 + $1.0 * $1.1 }
        x[i] = saved
        grad[i] = (plus - minus) / (2 * step)
    }
    return grad
}

/// Largest |analytic − numeric| relative to the largest |numeric| (so tiny entries do not dominate).
func relativeError(_ analytic: [Float], _ numeric: [Double]) -> Double {
    precondition(analytic.count == numeric.count, "\(analytic.count) vs \(numeric.count)")
    let scale = max(numeric.map(abs).max() ?? 0, 1e-12)
    return zip(analytic, numeric).map { abs(Double($0) - $1) }.max()! / scale
}

/// Deterministic test values in [−1, 1).
func randomValues(_ count: Int, seed: UInt64) -> [Double] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in Double(rng.nextUnitFloat()) * 2 - 1 }
}

extension Array where Element == Double {
    var floats: [Float] { map { Float($0) } }
}
