import Foundation
import LgregTestSupport
import Testing

/// `verify`'s throughput figures (`evaluation.throughput`, one text line): the FLOPs of what it evaluated,
/// counted by hand, and a rate, peak and fractions consistent with one another, from the release binary.
@Suite(.serialized) struct VerifyThroughputTests {
    /// The `fmnist-shape` fixture (width 32, 2 heads, MLP 128, 49 tokens, 10 classes) at depth 2 on 1,000 images:
    /// per block 2·(49·(32·96 + 32·32 + 32·128 + 128·32) + 2·49·49·32 + 2·5·49·32) = 1,542,912; the embedding
    /// 2·49·16·32 = 50,176; the final norm over every token and the head 2·(5·49·32 + 32·10) = 16,320.
    static let flops = 1000 * (2 * 1_542_912 + 50_176 + 16_320)

    @Test func verifyReportsItsFLOPsRateAndTheSgemmPeakOfTheSameRun() throws {
        let setup = try VerifyCommandTests.Setup()
        try setup.publish(
            "rate",
            results: [
                [
                    "depth": 2, "strategy": "imwlm", "tunedEpochs": 0, "evalSet": setup.evalSet,
                    "top1": VerifyCommandTests.timmTop1,
                ]
            ])
        let one = ["OPENBLAS_NUM_THREADS": "1"]
        let verify = try runLgreg(["verify", "rate:1", "--store", setup.store, "--json"], environment: one)
        #expect(verify.status == 0, "\(verify.summary)")
        let (valid, message) = try validateJSON(verify.out, against: "verify-report.schema.json")
        #expect(valid == 0, "\(message)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(verify.out.utf8)) as? [String: Any])
        let evaluation = try #require(report["evaluation"] as? [String: Any])
        #expect(evaluation["evaluator"] as? String == "batched-tree", "the default")
        let t = try #require(evaluation["throughput"] as? [String: Any], "\(verify.out)")
        let number = { (key: String) in (t[key] as? NSNumber)?.doubleValue ?? .nan }
        let peak = try #require(t["sgemmPeak"] as? [String: Any])
        let onePeak = try #require(t["sgemmPeakOneThread"] as? [String: Any])
        let rate = { (p: [String: Any], key: String) in (p[key] as? NSNumber)?.doubleValue ?? .nan }
        #expect(t["flops"] as? Int == Self.flops)
        #expect(t["threads"] as? Int == 1 && peak["threads"] as? Int == 1 && onePeak["threads"] as? Int == 1)
        #expect(number("seconds") > 0 && number("cpuSeconds") > 0)
        let close = { (a: Double, b: Double) in abs(a - b) <= 1e-9 * max(abs(b), 1e-30) }
        #expect(close(number("gflopsPerSecond"), Double(Self.flops) / number("seconds") / 1e9))
        #expect(close(number("gflopsPerCPUSecond"), Double(Self.flops) / number("cpuSeconds") / 1e9))
        #expect(close(number("fractionOfPeak"), number("gflopsPerSecond") / rate(peak, "gflopsPerSecond")))
        #expect(close(number("fractionOfPeakPerCore"), number("gflopsPerSecond") / rate(onePeak, "gflopsPerSecond")))
        #expect(
            close(
                number("fractionOfPeakPerCPUSecond"),
                number("gflopsPerCPUSecond") / rate(onePeak, "gflopsPerCPUSecond")))

        // The text report prints it as one line.
        let text = try runLgreg(["verify", "rate:1", "--store", setup.store], environment: one)
        let lines = text.out.split(separator: "\n").filter { $0.hasPrefix("throughput: ") }
        #expect(lines.count == 1 && lines[0].contains("GFLOP/s on 1 thread;"), "\(text.summary)")
        #expect(lines.first?.contains("of peak") == true && lines.first?.contains("per core (goal ≥ 50%)") == true)

        // Nothing evaluated (every result outside --depths): no throughput, and no peak measured.
        let skipped = try runLgreg(["verify", "rate:1", "--store", setup.store, "--depths", "1", "--json"])
        #expect(skipped.status == 0, "\(skipped.summary)")
        let none = try JSONSerialization.jsonObject(with: Data(skipped.out.utf8)) as? [String: Any]
        #expect((none?["evaluation"] as? [String: Any])?["throughput"] == nil)
    }
}
