import Foundation
import LgregCore
import LgregVocabulary

/// `verify --junit FILE`: a verify report as the JUnit XML CI systems read (GitHub's test reporters, GitLab,
/// Jenkins). `<testsuites>` holds one `<testsuite>` per entry verified (name: its reference; a `digest` property),
/// each with one `<testcase>` per check (classname: the reference; name: the check, for a result its depth,
/// strategy, order, seed and eval set, ` #2` for a second one alike). A mismatch is a `<failure>` (for a result, message "declared X, measured
/// Y"), something that could not be verified an `<error>`, a skipped check `<skipped/>`; every test case carries
/// its detail in `<system-out>`. Suites and the root count tests, failures, errors and skipped, and give the time
/// spent in seconds. In a shard's report, only the checks that shard made are written.
public enum JUnitReport {
    /// The XML document for `report`.
    public static func xml(_ report: Verifier.Report) -> String {
        let shard = report.shard
        let mine = { (owner: Int?) in shard == nil || owner == nil || owner == shard?.index }
        var suites: [(body: String, counts: Counts)] = []
        for verdict in report.learngenes where mine(verdict.shard) {
            var counts = Counts(time: verdict.seconds ?? 0)
            var cases: [String] = []
            var names: [String: Int] = [:]
            for check in verdict.checks where mine(check.shard) {
                cases.append(testCase(check, suite: verdict.reference, counts: &counts, names: &names))
            }
            var properties = ""
            if let digest = verdict.digest {
                properties =
                    "    <properties>\n      <property name=\"digest\" value=\"\(escape(digest))\"/>\n"
                    + "    </properties>\n"
            }
            suites.append(
                (
                    "  <testsuite name=\"\(escape(verdict.reference))\" \(counts.attributes)>\n" + properties
                        + cases.joined() + "  </testsuite>\n", counts
                ))
        }
        let total = suites.reduce(into: Counts(time: 0)) { $0.add($1.counts) }
        let name = "lgreg verify" + (shard.map { " shard \($0.index)/\($0.count)" } ?? "")
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<testsuites name=\"\(escape(name))\" \(total.attributes)>\n" + suites.map(\.body).joined()
            + "</testsuites>\n"
    }

    /// Tests, failures, errors, skipped, and seconds.
    struct Counts {
        var tests = 0, failures = 0, errors = 0, skipped = 0
        var time: Double

        mutating func add(_ other: Counts) {
            tests += other.tests
            failures += other.failures
            errors += other.errors
            skipped += other.skipped
            time += other.time
        }

        var attributes: String {
            "tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\" time=\""
                + String(format: "%.3f", time) + "\""
        }
    }

    /// One check as a test case; counts it. A name already in the suite (the same result declared twice) gets
    /// ` #2`, ` #3`…
    static func testCase(_ check: Verifier.Check, suite: String, counts: inout Counts, names: inout [String: Int])
        -> String
    {
        counts.tests += 1
        var name = check.check
        if check.check == "result" {
            // The result's identity: its detail up to the verdict (`depth 6 imwlm on fashion-mnist:test`).
            let start = check.detail.range(of: " on ")?.upperBound ?? check.detail.startIndex
            let end = check.detail[start...].range(of: ": ")?.lowerBound ?? check.detail.endIndex
            name = "result " + check.detail[..<end]
        }
        names[name, default: 0] += 1
        if names[name]! > 1 { name += " #\(names[name]!)" }
        // A result measured: both figures; anything else: why.
        var message = check.detail
        if let declared = check.declaredTop1, let measured = check.measuredTop1 {
            message = "declared \(Top1(fraction: declared)), measured \(Top1(fraction: measured))"
        }
        message = escape(message)
        var outcome = ""
        switch check.status {
        case .ok: break
        case .skipped:
            counts.skipped += 1
            outcome = "      <skipped message=\"\(escape(check.detail))\"/>\n"
        case .mismatch:
            counts.failures += 1
            outcome = "      <failure message=\"\(message)\" type=\"mismatch\">\(escape(check.detail))</failure>\n"
        case .cannotVerify:
            counts.errors += 1
            outcome = "      <error message=\"\(message)\" type=\"cannot-verify\">\(escape(check.detail))</error>\n"
        }
        return "    <testcase classname=\"\(escape(suite))\" name=\"\(escape(name))\">\n" + outcome
            + "      <system-out>\(escape(check.detail))</system-out>\n    </testcase>\n"
    }

    /// `text` as XML 1.0 character data, safe in element text and in a quoted attribute value (`MarkupText`).
    public static func escape(_ text: String) -> String {
        MarkupText.escape(text, xml: true)
    }
}
