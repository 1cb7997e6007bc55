// MaterializeBenchmark STORE REF WORKDIR [RUNS]
//
// Times, in one run, on a learngene already published in STORE under REF (Benchmarks/materialize.sh makes an
// Aux-B-shaped one):
//   1. in-store materialization of a depth-14 Des-Net: resolve REF, plan, write the derived manifest (no layer
//      copied), as `lgreg materialize REF --depth 14` does after process start-up; goal < 50 ms;
//   2. export of a depth-15 Des-Net to WORKDIR/des-15/model.safetensors (streamed, fsynced), beside `cp` of that
//      file (and `cp` followed by `sync FILE`, which makes the copy as durable as the export); goal: median at
//      most 1.2× cp + sync.
// Prints the median and best of RUNS runs (default 5) of each, and the ratios; export and cp runs alternate.
import Foundation
import LgregResolver
import LgregStore
import LgregZoo

let arguments = CommandLine.arguments
guard arguments.count >= 4 else {
    FileHandle.standardError.write(Data("usage: MaterializeBenchmark STORE REF WORKDIR [RUNS]\n".utf8))
    exit(64)
}
let store = try LearngeneStore(root: URL(fileURLWithPath: arguments[1]), mode: .write)
let reference = arguments[2]
let work = URL(fileURLWithPath: arguments[3])
let runs = arguments.count > 4 ? Int(arguments[4])! : 5
let tool = "lgreg benchmark"

/// Seconds `body` takes, by the monotonic clock.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// (median, best) of timings.
func summary(_ times: [Double]) -> (median: Double, best: Double) {
    let sorted = times.sorted()
    return (sorted[sorted.count / 2], sorted[0])
}

/// (median, best) of `runs` timings of `body`.
func timed(_ body: () throws -> Void) rethrows -> (median: Double, best: Double) {
    var times: [Double] = []
    for _ in 0..<runs { times.append(try seconds(body)) }
    return summary(times)
}

func run(_ tool: String, _ args: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = args
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
}

// 1. In the store.
let inStore = try timed {
    let stored = try store.resolve(reference)
    let net = try Materializer.plan(ManifestSource(stored), depth: 14, strategy: .cyclic(.named(.frontMidLast)))
    _ = try StoredDesNet.record(net, from: stored, in: store, tool: tool)
}

// 2. Export against cp.
let stored = try store.resolve(reference)
let net = try Materializer.plan(ManifestSource(stored), depth: 15, strategy: .cyclic(.named(.frontMidLast)))
let exported = work.appendingPathComponent("des-15")
let model = exported.appendingPathComponent("model.safetensors")
let copy = work.appendingPathComponent("cp-copy.safetensors")
try TimmExport.write(net, to: exported, tool: tool)   // warm the page cache of the learngene blobs
let size = (try FileManager.default.attributesOfItem(atPath: model.path)[.size] as! NSNumber).intValue
// Interleaved, so load from other processes falls on all three alike.
var exportTimes: [Double] = [], cpTimes: [Double] = [], cpSyncTimes: [Double] = []
for _ in 0..<runs {
    exportTimes.append(try seconds { try TimmExport.write(net, to: exported, tool: tool) })
    cpTimes.append(try seconds {
        try? FileManager.default.removeItem(at: copy)
        try run("/bin/cp", [model.path, copy.path])
    })
    cpSyncTimes.append(try seconds {
        try? FileManager.default.removeItem(at: copy)
        try run("/bin/cp", [model.path, copy.path])
        try run("/bin/sync", [copy.path])
    })
}
let export = summary(exportTimes), cp = summary(cpTimes), cpSync = summary(cpSyncTimes)
try? FileManager.default.removeItem(at: copy)

func line(_ label: String, _ t: (median: Double, best: Double), bytes: Int? = nil) -> String {
    var text = String(format: "%@ median %8.1f ms, best %8.1f ms", label.padding(toLength: 44, withPad: " ", startingAt: 0), t.median * 1000, t.best * 1000)
    if let bytes { text += String(format: "  (%.2f GB/s)", Double(bytes) / t.median / 1e9) }
    return text
}
print("learngene \(reference): \(stored.manifest.layers.count) layers, \(stored.manifest.parameters?.stored ?? 0) parameters; \(runs) runs each")
print(line("in-store materialize, depth 14", inStore) + String(format: "   goal < 50 ms: %@", inStore.median < 0.05 ? "met" : "NOT met"))
print(line("export depth 15, \(net.parameterCount / 1_000_000) M params, fsync", export, bytes: size))
print(line("cp of the same \(size / 1_000_000) MB", cp, bytes: size))
print(line("cp + sync FILE", cpSync, bytes: size))
print(String(format: "medians: export / cp = %.2f, export / (cp + sync) = %.2f   goal ≤ 1.2 against cp + sync: %@; best runs: export / (cp + sync) = %.2f",
             export.median / cp.median, export.median / cpSync.median, export.median <= 1.2 * cpSync.median ? "met" : "NOT met",
             export.best / cpSync.best))
print("every run, ms: export \(exportTimes.map { Int($0 * 1000) }), cp \(cpTimes.map { Int($0 * 1000) }), cp + sync \(cpSyncTimes.map { Int($0 * 1000) })")
print(String(format: "load average at the end: %@", (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "unknown"))
