import Foundation
import Testing

@testable import SafeTensors

/// lgreg and Python's reference `safetensors` package read each other's files.
@Suite struct SafeTensorsInteropTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Python/interop.py")

    @Test func pythonReadsOursAndWeReadPythons() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("st-interop-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var writer = SafeTensorsWriter(metadata: ["written_by": "lgreg"])
        try writer.add("w", shape: [2, 3], floats: [0.5, -1, 2, 1e-7, 3.25, -0.125])
        try writer.add("h", shape: [2], floats: [1.5, -0.25], as: .f16)
        try writer.add("i", shape: [2], int64s: [7, -3])
        try writer.add("u", dtype: .u8, shape: [3], bytes: [0, 128, 255])
        let ours = folder.appendingPathComponent("lgreg.safetensors")
        let theirs = folder.appendingPathComponent("python.safetensors")
        try writer.write(to: ours)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script.path, ours.path, theirs.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "interop.py failed: \(output)")
        guard process.terminationStatus == 0 else { return }

        let file = try SafeTensorsFile(path: theirs.path)
        #expect(file.metadata == ["written_by": "python"])
        #expect(try file.floats("grid") == (0..<12).map { Float($0) / 4 - 1 })
        #expect(try file.info("grid").shape == [3, 4])
        #expect(try file.floats("half") == [0.5, -3, 1024])
        #expect(try file.int64s("labels") == [1, 2, 3, -9_000_000_000])
        #expect(Array(try file.bytes("pixels")) == [1, 2, 254])
    }
}
