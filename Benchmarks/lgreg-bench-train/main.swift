// lgreg-bench-train: time of one training step (forward, loss, zero-grad, backward, AdamW) of a plain ViT.
//
//   swift run -c release lgreg-bench-train --width 192 --heads 3 --depth 12 --batch 128 --threads 2 --seconds 10
//
// The model is 28×28×1 with patch 4, no class token and avg pooling (timm's global_pool='avg': mean, then
// norm), 10 classes, seeded random weights and images. Prints one JSON object: milliseconds per step (the
// median of the measured steps), images/s, steps measured, and GFLOP/s counting a step as three forward passes
// (2 × the fvcore multiply-accumulates of `ViTArchitecture.flops(depth:)` per image, × 3: the backward pass does
// two GEMMs for each forward one). Benchmarks/train_step.sh runs it beside
// Benchmarks/train_step_timm.py and prints the ratio. With --profile it adds "phaseSecondsPerStep": the
// seconds per step of each `RuntimeProfile` phase (forward: the block GEMMs, attention, LayerNorm, bias + GELU,
// residual adds; backward: GEMMs, attention, LayerNorm, GELU; the optimizer) and of the step's parts (forward,
// loss and zero-grad, backward, AdamW), timed on steps run after the measured ones.
import Foundation
import LgregArchitecture
import LgregCore
import LgregRuntime
import LgregTraining

var width = 192, heads = 3, depth = 12, batch = 128, seconds = 10.0
var threads: Int?
var profile = false
var arguments = CommandLine.arguments.dropFirst()
KernelThreads.splitsAttention = true  // one caller: see KernelThreads.splitsAttention
while let flag = arguments.popFirst() {
    if flag == "--profile" { profile = true; continue }
    if flag == "--attention-in-order" { KernelThreads.splitsAttention = false; continue }
    guard let value = arguments.popFirst() else { fatalError("\(flag) needs a value") }
    switch flag {
    case "--width": width = Int(value)!
    case "--heads": heads = Int(value)!
    case "--depth": depth = Int(value)!
    case "--batch": batch = Int(value)!
    case "--threads": threads = Int(value)!
    case "--seconds": seconds = Double(value)!
    default: fatalError("unknown option \(flag); use --width, --heads, --depth, --batch, --threads, --seconds, --profile, --attention-in-order")
    }
}
if let threads { BLASThreads.set(threads) }

let architecture = ViTArchitecture(imageSize: 28, patchSize: 4, inChannels: 1, width: width, heads: heads, classes: 10,
                                   classToken: false, pooling: .avg)
let model = TrainingModel(architecture: architecture, mode: .plain, schedule: try StageSchedule(Array(repeating: 1, count: depth)),
                          batchCapacity: batch)
model.initializeParameters(seed: 1)
var rng = SplitMix64(seed: 2)
let images = (0..<(batch * 28 * 28)).map { _ in rng.nextUnitFloat() * 2 - 1 }
let labels = (0..<batch).map { _ in rng.uniform(below: 10) }
let objective = DistillationObjective(alpha: 0, temperature: 1, labelSmoothing: 0)
let optimizer = AdamW(weightDecay: 0.05)
let m = FloatBuffer(count: model.layout.count), v = FloatBuffer(count: model.layout.count)
let mask = FloatBuffer(model.layout.decayMask)
var dlogits = [Float](repeating: 0, count: batch * 10)

/// Wall-clock seconds of the step's parts: forward, loss and zero-grad, backward, AdamW.
var parts = [Double](repeating: 0, count: 4)
@MainActor func step(_ t: Int) {
    var mark = DispatchTime.now().uptimeNanoseconds
    @MainActor func lap(_ part: Int) {
        let now = DispatchTime.now().uptimeNanoseconds
        parts[part] += Double(now - mark) / 1e9
        mark = now
    }
    model.forward(images: images, batch: batch)
    lap(0)
    _ = objective.lossAndGradient(logits: model.logits, labels: labels, teacher: nil, dlogits: &dlogits, classes: 10)
    model.zeroGradients()
    lap(1)
    model.backward(dlogits: dlogits)
    lap(2)
    RuntimeProfile.measure(.optimizer) {
        optimizer.step(params: model.parameters.storage, grads: model.gradients, m: m, v: v, decayMask: mask, learningRate: 5e-4, step: t)
    }
    lap(3)
}

for t in 1...2 { step(t) }   // warm-up: page in buffers, start OpenBLAS threads
var times: [Double] = []
let start = DispatchTime.now().uptimeNanoseconds
while times.count < 3 || Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds {
    let t0 = DispatchTime.now().uptimeNanoseconds
    step(times.count + 3)
    times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
}
let median = times.sorted()[times.count / 2]
let gflops = 3 * 2 * Double(architecture.flops(depth: depth)) * Double(batch) / (median / 1000) / 1e9
var profileJSON = ""
if profile {
    let steps = max(2, times.count / 2)
    parts = [Double](repeating: 0, count: 4)
    RuntimeProfile.reset()
    RuntimeProfile.enabled = true
    for i in 0..<steps { step(times.count + 3 + i) }
    RuntimeProfile.enabled = false
    let phases = RuntimeProfile.seconds.filter { $0.value > 0 }.sorted { $0.key.rawValue < $1.key.rawValue }
        .map { "\"\($0.key.name)\": \(String(format: "%.4f", $0.value / Double(steps)))" }
    let names = ["forward", "lossAndZeroGrad", "backward", "adamW"]
    let partText = zip(names, parts).map { "\"\($0)\": \(String(format: "%.4f", $1 / Double(steps)))" }
    profileJSON = ", \"profileSteps\": \(steps), \"partSecondsPerStep\": {\(partText.joined(separator: ", "))}, "
        + "\"phaseSecondsPerStep\": {\(phases.joined(separator: ", "))}"
}
print("{\"side\": \"lgreg\", \"width\": \(width), \"depth\": \(depth), \"batch\": \(batch), \"threads\": \(BLASThreads.count), "
      + "\"steps\": \(times.count), \"msPerStep\": \(String(format: "%.2f", median)), \"imagesPerSecond\": \(String(format: "%.1f", Double(batch) * 1000 / median)), "
      + "\"gflopsPerSecond\": \(String(format: "%.1f", gflops))\(profileJSON)}")
