import Foundation
import LgregArchitecture
import LgregArchive
import LgregTestSupport
import SafeTensors
import Testing

/// Issue 28: commands that take a `.lgz` archive hold what the model they build needs, not the archive. The release
/// binary runs on a random learngene of Aux-B's size (deit-base, schedule 3,3,4,3,3: five 28 MB layer files and a
/// 6 MB shared file, 148 MB), each command's peak resident set is read by `wait4` (`runMeasuringPeakMemory`), and the bounds are computed
/// from the archive's manifest:
///
/// - `plan` needs no tensor: its peak is at most the peak of `plan` on a 0.4 MB learngene plus 16 MiB.
/// - `materialize --layers-source 0,4 --output` (a depth-2 Des-Net, 63 MB) and `eval --depth 14 --batch-size 2`
///   (which runs the five layers through a layer map: 148 MB of parameters) hold at most the model's bytes + the
///   largest file of the archive (the one being read) + `overhead`.
/// - `verify --batch-size 2` of that learngene published with the result `eval --declare` measured rebuilds the
///   same model from the store's mapped blobs, within the same bound as `eval`.
/// - `materialize --depth 14 --output` streams its 403 MB Des-Net to disk, so it holds the shared file and the
///   layer file it is copying from: at most the shared file + the largest file + `overhead`.
///
/// `overhead` is the small learngene's `plan` peak (the process, its libraries and heap) plus 48 MiB (buffers,
/// OpenBLAS's, eval's activations for two 224×224 images). Reading the archive whole, as lgreg did before this
/// change, exceeds the plan bound by 150 MB, the depth-2 materialize bound by about 45 MB, the depth-14 one by
/// about 95 MB, eval's by about 100 MB; verify held every mapped layer file while it loaded them, 90 MB past its
/// bound.
@Suite(.serialized) struct ArchiveMemoryTests {
    static let slack = 16 << 20
    static let overheadAllowance = 48 << 20

    @Test func commandsOnAnArchiveHoldTheirModelNotTheArchive() throws {
        let folder = try TemporaryDirectory("archive-memory")
        let big = folder.path("aux-b.lgz")
        let small = folder.path("tiny.lgz")
        for (arguments, path) in [
            (["--preset", "deit-base", "--schedule", "3,3,4,3,3"], big),
            (["--preset", "fmnist-tiny", "--schedule", "1,1"], small),
        ] {
            let made = try runLgreg(["init"] + arguments + ["--random", "--seed", "0", "--name", "m", "-o", path])
            try #require(made.status == 0, "\(made.summary)")
        }
        let manifest = try LearngeneArchive.open(URL(fileURLWithPath: big)).manifest
        let architecture = manifest.architecture
        let largestFile = manifest.files.map(\.size).max()!
        func modelBytes(blocks: Int) -> Int {
            architecture.tensorSpecs(depth: blocks).reduce(0) { $0 + $1.shape.reduce(1, *) } * manifest.dtype.byteSize
        }
        let evalSet = folder.path("images.safetensors")
        var writer = SafeTensorsWriter(metadata: [
            "format": "lgreg-eval-set", "format_version": "1", "mean": "[0.5, 0.5, 0.5]", "std": "[0.25, 0.25, 0.25]",
        ])
        let pixels = 2 * 3 * 224 * 224
        try writer.add("images", dtype: .u8, shape: [2, 3, 224, 224], bytes: (0..<pixels).map { UInt8($0 % 251) })
        try writer.add("labels", shape: [2], int64s: [3, 999])
        try writer.write(to: URL(fileURLWithPath: evalSet))

        func peak(_ arguments: [String]) throws -> Int {
            let run = try runMeasuringPeakMemory(lgregBinary.path, arguments)
            #expect(run.status == 0, "lgreg \(arguments.joined(separator: " ")): \(run.err)")
            return run.peakBytes
        }
        func mib(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }

        let baseline = try peak(["plan", small, "--depths", "2-4"])
        let overhead = baseline + Self.overheadAllowance
        let plan = try peak(["plan", big, "--depths", "6-15"])
        #expect(
            plan <= baseline + Self.slack,
            "plan read tensors: peak \(mib(plan)), bound \(mib(baseline)) (plan of a tiny learngene) + \(mib(Self.slack))"
        )

        let output = folder.path("d2")
        let materialize = try peak(["materialize", big, "--layers-source", "0,4", "--output", output])
        let d2 = modelBytes(blocks: 2)
        #expect(
            materialize <= d2 + largestFile + overhead,
            "materialize: peak \(mib(materialize)), bound \(mib(d2)) model + \(mib(largestFile)) largest file + \(mib(overhead))"
        )
        let written = try FileManager.default.attributesOfItem(atPath: output + "/model.safetensors")[.size] as? Int
        #expect((written ?? 0) > d2, "the Des-Net was written: \(written ?? 0) bytes")
        let streamed = try peak(["materialize", big, "--depth", "14", "--output", folder.path("d14")])
        let shared = manifest.files[0].size
        #expect(
            streamed <= shared + largestFile + overhead,
            "materialize --depth 14: peak \(mib(streamed)), bound \(mib(shared)) shared file + \(mib(largestFile)) largest file + \(mib(overhead))"
        )

        let eval = try peak(["eval", big, "--depth", "14", "--batch-size", "2", "--data", evalSet, "--json"])
        let parameters = modelBytes(blocks: manifest.layers.count) / manifest.dtype.byteSize * 4
        #expect(
            eval <= parameters + largestFile + overhead,
            "eval: peak \(mib(eval)), bound \(mib(parameters)) parameters + \(mib(largestFile)) largest file + \(mib(overhead))"
        )
        // verify rebuilds the same model from the store's mapped blobs: one layer file at a time, too.
        let declared = folder.path("declared.lgz")
        let store = folder.path("store")
        for arguments in [
            ["eval", big, "--depth", "14", "--batch-size", "2", "--data", evalSet, "--declare", declared],
            ["publish", declared, "--store", store],
        ] {
            let done = try runLgreg(arguments)
            try #require(done.status == 0, "\(done.summary)")
        }
        let verify = try peak(["verify", "m", "--store", store, "--batch-size", "2"])
        #expect(
            verify <= parameters + largestFile + overhead,
            "verify: peak \(mib(verify)), bound \(mib(parameters)) parameters + \(mib(largestFile)) largest file + \(mib(overhead))"
        )
        print(
            "archive-memory: baseline \(mib(baseline)), plan \(mib(plan)), materialize d2 \(mib(materialize)), d14 \(mib(streamed)), eval \(mib(eval)), verify \(mib(verify))"
        )
    }
}
