import Foundation
import LgregArchitecture
import Testing

/// Issue 10 case 5: every dimension, depth and count is bounded where it is first decoded, so nothing derived
/// from it overflows (SIGILL in a release build) or allocates terabytes.
@Suite struct LimitsTests {
    /// The largest architecture the limits allow.
    let largest = ViTArchitecture(
        imageSize: 8192, patchSize: 32, inChannels: 1024, width: 65_536, heads: 1, mlpRatio: 8,
        classes: 1_000_000, classToken: true, pooling: .cls)

    /// Its parameter and FLOP counts at depth 1024 are computed without trapping and agree with the same
    /// formulas in floating point (relative tolerance 1e-12; the integers are exact, the doubles round).
    @Test func theLargestArchitectureFitsInt64() throws {
        try largest.validate()
        let t = Double(largest.tokenCount)
        let d = 65_536.0
        let h = 8 * d
        let depth = 1024.0
        let block = 2 * 5 * t * d + (t * d * 3 * d + t * d * d + t * d * h + t * h * d) + 2 * t * t * d
        let shared = Double(largest.patchCount) * 1024 * 32 * 32 * d + 5 * t * d + d * 1_000_000
        let flops = Double(largest.flops(depth: 1024))
        #expect(
            abs(flops - (depth * block + shared)) <= 1e-12 * flops, "flops \(flops), expected \(depth * block + shared)"
        )
        let parameters = Double(largest.parameterCount(depth: 1024))
        let blockParameters = 2 * d + 3 * d * d + 3 * d + d * d + d + 2 * d + d * h + h + h * d + d
        let sharedParameters = 1024 * 32 * 32 * d + d + t * d + d + 2 * d + d * 1_000_000 + 1_000_000
        #expect(parameters == depth * blockParameters + sharedParameters)
    }

    @Test(arguments: [
        ("width", 4_000_000_000, "is 4000000000; it must lie between 1 and 65536"),
        ("classes", 1 << 62, "is 4611686018427387904; it must lie between 1 and 1000000"),
        ("imageSize", 1 << 40, "is 1099511627776; it must lie between 1 and 8192"),
        ("inChannels", 0, "is 0; it must lie between 1 and 1024"),
        ("mlpRatio", 9, "is 9; it must lie between 1 and 8"),
        ("patchSize", 1, "1 cuts a 28-pixel image into 784 patches; at most 65536 are allowed"),
    ])
    func fieldsPastTheLimitsAreRefused(field: String, value: Int, reason: String) throws {
        var arch = try ViTArchitecture.preset("fmnist-tiny")
        switch field {
        case "width": arch.width = value
        case "classes": arch.classes = value
        case "imageSize": arch.imageSize = value
        case "inChannels": arch.inChannels = value
        case "mlpRatio": arch.mlpRatio = value
        default:
            arch.imageSize = 8192
            arch.patchSize = value
        }
        let expected =
            field == "patchSize"
            ? ArchitectureError.invalidField(
                field: "patchSize", reason: "1 cuts a 8192-pixel image into 67108864 patches; at most 65536 are allowed"
            )
            : ArchitectureError.invalidField(field: field, reason: reason)
        #expect(throws: expected) { try arch.validate() }
    }

    /// `show` of a published schedule [2^62, 2^62, 1, 1, 1] trapped summing it.
    @Test func schedulesAreBoundedBeforeTheyAreSummed() throws {
        #expect(
            throws: ArchitectureError.invalidSchedule(
                reason: "stage 0 has 4611686018427387904 layers; every stage has between 1 and 1024")
        ) {
            try StageSchedule([1 << 62, 1 << 62, 1, 1, 1])
        }
        #expect(
            throws: ArchitectureError.invalidSchedule(reason: "the stages hold 1025 layers; a model has at most 1024")
        ) {
            try StageSchedule([1024, 1])
        }
        #expect(throws: ArchitectureError.invalidSchedule(reason: "1025 stages; at most 1024 are allowed")) {
            try StageSchedule(Array(repeating: 1, count: 1025))
        }
        #expect(try StageSchedule([1000, 24]).depth == 1024)
        let json = Data(#"[4611686018427387904, 4611686018427387904, 1, 1, 1]"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(StageSchedule.self, from: json) }
    }

    /// `plan --depths 6-100000000` grew to 24 GB before it printed a row.
    @Test func depthRangesAreBoundedBeforeTheyAreExpanded() throws {
        #expect(throws: ArchitectureError.invalidDepthRange("6-100000000")) { try DepthRange.parse("6-100000000") }
        #expect(throws: ArchitectureError.invalidDepthRange("9223372036854775807")) {
            try DepthRange.parse("9223372036854775807")
        }
        #expect(try DepthRange.parse("1-1024").count == 1024)
        #expect(
            ArchitectureError.invalidDepthRange("6-100000000").description
                == "depth range '6-100000000': expected N, N-M or a comma list such as 6,8,12, each between 1 and 1024")
    }

    @Test func architectureFilesRefuseHugeDepthsAndDuplicateKeys() throws {
        let base = String(
            decoding: try ArchitectureFile(architecture: try .preset("fmnist-tiny"), depth: 6).encoded(), as: UTF8.self)
        let deep = base.replacingOccurrences(of: "\"depth\" : 6", with: "\"depth\" : 1000000000000")
        #expect(deep != base)
        #expect(throws: ArchitectureFileError.self) { try ArchitectureFile.decode(Data(deep.utf8), path: "a.json") }
        let twice = base.replacingOccurrences(of: "\"width\" : 64", with: "\"width\" : 64, \"width\" : 4000000000")
        #expect(twice != base)
        do {
            _ = try ArchitectureFile.decode(Data(twice.utf8), path: "a.json")
            Issue.record("a duplicate key was accepted")
        } catch let error as ArchitectureFileError {
            #expect(
                error.description
                    == "a.json: field 'architecture.width' appears twice in one object; lgreg refuses duplicate keys")
        }
    }
}
