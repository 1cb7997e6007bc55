import Testing

/// Compares `actual` with `expected` element by element, accepting |a − e| ≤ `absolute` + `relative`·|e|, and
/// records one issue listing at most `shown` mismatches (index, expected, actual, allowed) and their count —
/// never whole arrays.
/// - Returns: whether every element was within tolerance.
@discardableResult
public func expectClose<A: BinaryFloatingPoint, E: BinaryFloatingPoint>(
    _ actual: [A], _ expected: [E], absolute: Double, relative: Double = 0, _ what: String = "values", shown: Int = 5,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    guard actual.count == expected.count else {
        Issue.record("\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return false
    }
    var mismatches: [String] = []
    var count = 0
    var worst = 0.0
    for index in actual.indices {
        let a = Double(actual[index])
        let e = Double(expected[index])
        let allowed = absolute + relative * abs(e)
        let difference = abs(a - e)
        guard !(difference <= allowed) else { continue }  // NaN counts as a mismatch
        count += 1
        worst = max(worst, difference.isNaN ? .infinity : difference)
        if mismatches.count < shown {
            mismatches.append("  [\(index)] expected \(e), actual \(a), allowed ±\(allowed)")
        }
    }
    guard count == 0 else {
        let header =
            "\(what): \(count) of \(actual.count) outside |a − e| ≤ \(absolute) + \(relative)·|e| (largest difference \(worst)):"
        let more = count > shown ? "\n  …" : ""
        Issue.record("\(header)\n\(mismatches.joined(separator: "\n"))\(more)", sourceLocation: sourceLocation)
        return false
    }
    return true
}

/// The scalar form of `expectClose`.
@discardableResult
public func expectClose<A: BinaryFloatingPoint, E: BinaryFloatingPoint>(
    _ actual: A, _ expected: E, absolute: Double, relative: Double = 0, _ what: String = "value",
    sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    expectClose([actual], [expected], absolute: absolute, relative: relative, what, sourceLocation: sourceLocation)
}
