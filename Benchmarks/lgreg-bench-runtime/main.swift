// lgreg-bench-runtime: forward-pass throughput of the BLAS runtime on a random-weight ViT.
//
//   swift run -c release lgreg-bench-runtime --model deit-small --batches 1,16 --threads 2
//
// Prints one JSON object per line: model, batch, images/s over all calls, images/s of the fastest call,
// images per CPU-second (all threads; robust to a busy machine), GFLOP/s (2 × the fvcore multiply-accumulates
// of `ViTArchitecture.flops(depth:)` per image, at the fastest call's rate), seconds measured, and the
// process's peak resident memory. With --profile, a second line per batch ("side": "lgreg-profile") gives the
// seconds per forward pass of each phase (`RuntimeProfile`: the four GEMMs of the blocks, attention with its
// per-head products and softmax, LayerNorm, bias + GELU, residual adds, embedding and head), timed on passes run
// after the measured ones.
// Benchmarks/runtime.sh runs it beside Benchmarks/runtime_timm.py and prints the ratio.
import Foundation
import LgregArchitecture
import LgregCore
import LgregRuntime

struct Options {
    var model = "deit-small"
    var depth = 12
    var batches = [1, 16]
    var threads: Int?
    var seconds = 3.0
    var profile = false

    init(_ arguments: [String]) {
        KernelThreads.splitsAttention = true  // one caller: see KernelThreads.splitsAttention
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            if flag == "--profile" {
                profile = true
                continue
            }
            if flag == "--attention-in-order" {  // one (image, head) pair after another on multi-threaded OpenBLAS
                KernelThreads.splitsAttention = false
                continue
            }
            guard let value = rest.popFirst() else { fatalError("\(flag) needs a value") }
            switch flag {
            case "--model": model = value
            case "--depth": depth = Int(value)!
            case "--batches": batches = value.split(separator: ",").map { Int($0)! }
            case "--threads": threads = Int(value)!
            case "--seconds": seconds = Double(value)!
            default: fatalError("unknown option \(flag); use --model, --depth, --batches, --threads, --seconds, --profile")
            }
        }
    }
}

/// A model of `depth` blocks initialized as timm does (`TensorSpec.initialValues(using:)`: trunc-normal 0.02 weights,
/// zero biases, unit LayerNorm scales).
func randomModel(_ architecture: ViTArchitecture, depth: Int) throws -> ViTModel {
    let parameters = ViTParameters(layout: ParameterLayout(architecture: architecture, blockCount: depth))
    var generator = SplitMix64(seed: 7)
    for spec in parameters.layout.specs {
        parameters.pointer(spec.name).update(from: spec.initialValues(using: &generator), count: spec.elementCount)
    }
    return try ViTModel(parameters: parameters)
}

/// User + system CPU seconds this process has used, all threads together.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
if let threads = options.threads { BLASThreads.set(threads) }
let architecture = try ViTArchitecture.preset(options.model)
let model = try randomModel(architecture, depth: options.depth)
let runner = ViTRunner(model: model, maxBatch: options.batches.max()!)
var generator = SplitMix64(seed: 11)
let imageValues = architecture.inChannels * architecture.imageSize * architecture.imageSize
let images = (0..<(runner.maxBatch * imageValues)).map { _ in Float.random(in: -2...2, using: &generator) }
let flopsPerImage = 2 * Double(architecture.flops(depth: options.depth))

for batch in options.batches {
    try images.withUnsafeBufferPointer { pixels in
        _ = try runner.logits(images: pixels.baseAddress!, batch: batch)  // warm-up
        var calls = 0, fastest = Double.infinity
        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = cpuSeconds()
        var elapsed = 0.0
        while elapsed < options.seconds || calls < 3 {
            let before = DispatchTime.now().uptimeNanoseconds
            _ = try runner.logits(images: pixels.baseAddress!, batch: batch)
            let now = DispatchTime.now().uptimeNanoseconds
            fastest = min(fastest, Double(now - before) / 1e9)
            calls += 1
            elapsed = Double(now - start) / 1e9
        }
        let cpu = cpuSeconds() - cpuStart
        let imagesPerSecond = Double(calls * batch) / elapsed
        let line: [String: Any] = [
            "side": "lgreg", "model": options.model, "depth": options.depth, "batch": batch,
            "threads": BLASThreads.count, "imagesPerSecond": imagesPerSecond,
            "bestImagesPerSecond": Double(batch) / fastest, "imagesPerCPUSecond": Double(calls * batch) / cpu,
            "gflopsPerSecond": Double(batch) / fastest * flopsPerImage / 1e9, "seconds": elapsed,
            "macsPerImage": architecture.flops(depth: options.depth),
            "peakRSSMiB": peakResidentMiB(),
        ]
        let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        guard options.profile else { return }
        let passes = max(3, calls / 2)
        RuntimeProfile.reset()
        RuntimeProfile.enabled = true
        let profileStart = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<passes { _ = try runner.logits(images: pixels.baseAddress!, batch: batch) }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - profileStart) / 1e9 / Double(passes)
        RuntimeProfile.enabled = false
        let phases = RuntimeProfile.seconds.reduce(into: [String: Double]()) { $0[$1.key.name] = $1.value / Double(passes) }
        let profileLine: [String: Any] = [
            "side": "lgreg-profile", "model": options.model, "batch": batch, "threads": BLASThreads.count,
            "passes": passes, "secondsPerPass": wall, "phaseSecondsPerPass": phases,
        ]
        let profileData = try JSONSerialization.data(withJSONObject: profileLine, options: [.sortedKeys])
        print(String(decoding: profileData, as: UTF8.self))
    }
}
