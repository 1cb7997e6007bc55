import Foundation
import LgregArchitecture
import LgregTestSupport
import SafeTensors
import Testing

@testable import LgregRuntime

/// Gzips `bytes` into `url` with the system's gzip.
func writeGzip(_ bytes: [UInt8], to url: URL) throws {
    let raw = url.deletingPathExtension()
    try Data(bytes).write(to: raw)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["gzip", "-f", raw.path]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
}

/// An IDX header: magic then big-endian dimensions.
func idxHeader(magic: UInt32, dimensions: [Int]) -> [UInt8] {
    ([magic] + dimensions.map(UInt32.init)).flatMap { word in
        (0..<4).map { UInt8(truncatingIfNeeded: word >> (24 - 8 * $0)) }
    }
}

/// How many of the first `limit` images of `data` have their two largest logits within `margin` of each other.
func nearTieCount(_ runner: ViTRunner, _ data: ImageDataSet, limit: Int, margin: Float) throws -> Int {
    let classes = runner.model.architecture.classes
    var images = [Float](repeating: 0, count: runner.maxBatch * data.imageValues)
    var labels = [Int32](repeating: 0, count: runner.maxBatch)
    var ties = 0
    for batch in BatchOrder(count: limit, batchSize: runner.maxBatch) {
        data.fill(&images, labels: &labels, indices: batch)
        let logits = try images.withUnsafeBufferPointer {
            try runner.logits(images: $0.baseAddress!, batch: batch.count)
        }
        for b in 0..<batch.count {
            let top = UnsafeBufferPointer(start: logits + b * classes, count: classes).sorted(by: >)
            if top[0] - top[1] <= margin { ties += 1 }
        }
    }
    return ties
}

@Suite struct FashionMNISTTests {
    @Test func testSplitHasTenBalancedClasses() throws {
        let data = try FashionMNIST.load(.test)
        #expect(data.count == 10_000)
        #expect([data.channels, data.height, data.width] == [Int]([1, 28, 28]))
        // Fashion-MNIST's test split holds exactly 1,000 images of each class; its first image is an ankle boot (9).
        #expect(data.labels[0] == 9)
        #expect((0..<10).map { c in data.labels.filter { $0 == c }.count } == Array(repeating: 1000, count: 10))
        // A zero pixel normalizes to −0.2860/0.3530.
        var image = [Float](repeating: 0, count: 784)
        var label: [Int32] = [0]
        data.fill(&image, labels: &label, indices: [0])
        #expect(abs(image[0] + 0.2860 / 0.3530) < 1e-6)
    }

    @Test func randomModelMatchesTimmOnRealImages() throws {
        let (model, io) = try Fixtures.load("fmnist-shape")
        let count = Int(io.metadata["fashion_mnist_test_images"]!)!
        let data = try FashionMNIST.load(.test)
        let runner = ViTRunner(model: model, maxBatch: 48)
        let result = try Evaluation.run(runner, on: data, limit: count)
        #expect(result.images == count)
        // timm's count is a reference up to argmax near-ties: lgreg's logits are within 1e-4 of timm's (see
        // logitsMatchTimm), so an image can be predicted differently from timm only if lgreg's two largest
        // logits are within 2·1e-4 of each other. Only those images may differ (usually there are none).
        let nearTies = try nearTieCount(runner, data, limit: count, margin: 2e-4)
        let timmCorrect = Int(io.metadata["fashion_mnist_test_correct"]!)!
        #expect(
            abs(result.correct - timmCorrect) <= nearTies,
            "\(result.correct) correct, timm \(timmCorrect), \(nearTies) images with top-2 logits within 2e-4")
        #expect(abs(result.meanLoss - Double(io.metadata["fashion_mnist_test_loss"]!)!) < 1e-5)
    }

    @Test func hostileIDXFilesAreRefusedByName() throws {
        let temporary = try TemporaryDirectory("lgreg-runtime")
        let dir = temporary.url
        let images = dir.appendingPathComponent("t10k-images-idx3-ubyte.gz")
        let labels = dir.appendingPathComponent("t10k-labels-idx1-ubyte.gz")
        try writeGzip(idxHeader(magic: 0x801, dimensions: [2]) + [1, 2], to: labels)

        try writeGzip(idxHeader(magic: 0x803, dimensions: [3, 2, 2]) + [UInt8](repeating: 7, count: 12), to: images)
        #expect(
            throws: RuntimeError.countMismatch(images: images.path, imageCount: 3, labels: labels.path, labelCount: 2)
        ) {
            try FashionMNIST.load(.test, directory: dir.path)
        }
        try writeGzip(idxHeader(magic: 0x801, dimensions: [2, 2, 2]) + [UInt8](repeating: 7, count: 8), to: images)
        #expect(throws: RuntimeError.badMagic(file: images.path, expected: 0x803, actual: 0x801)) {
            try FashionMNIST.load(.test, directory: dir.path)
        }
        try writeGzip(idxHeader(magic: 0x803, dimensions: [2, 2, 2]) + [UInt8](repeating: 7, count: 5), to: images)
        #expect(throws: RuntimeError.truncated(file: images.path, expectedBytes: 24, actualBytes: 21)) {
            try FashionMNIST.load(.test, directory: dir.path)
        }
        try Data([0x1F, 0x8B, 8, 0, 0, 0]).write(to: images)
        #expect(throws: RuntimeError.self) { try FashionMNIST.load(.test, directory: dir.path) }
        #expect(
            throws: RuntimeError.dataIO(
                file: dir.appendingPathComponent("train-images-idx3-ubyte.gz").path,
                reason: "no such file (install Debian's dataset-fashion-mnist or pass --data-dir)")
        ) {
            try FashionMNIST.load(.train, directory: dir.path)
        }
    }
}

@Suite struct EvalSetTests {
    func sample(pixels: ImageDataSet.Pixels) throws -> ImageDataSet {
        try ImageDataSet(
            source: "sample", channels: 1, height: 2, width: 2, pixels: pixels, labels: [3, 1],
            mean: [0.5], std: [0.25])
    }

    @Test func roundTripsAndNormalizes() throws {
        let temporary = try TemporaryDirectory("lgreg-runtime")
        let dir = temporary.url
        let url = dir.appendingPathComponent("set.safetensors")
        try EvalSetFile.write(try sample(pixels: .u8([0, 51, 255, 102, 0, 0, 0, 0])), to: url)
        let read = try EvalSetFile.read(path: url.path)
        #expect(read.count == 2 && read.labels == [3, 1] && read.mean == [0.5] && read.std == [0.25])
        var out = [Float](repeating: 0, count: 4)
        var labels: [Int32] = [0]
        read.fill(&out, labels: &labels, indices: [0])
        // (0/255 − 0.5)/0.25 = −2, (51/255 − 0.5)/0.25 = −1.2, (1 − 0.5)/0.25 = 2, (102/255 − 0.5)/0.25 = −0.4
        expectClose(out, [-2, -1.2, 2, -0.4] as [Float], absolute: 1e-6, "normalized pixels")
        #expect(labels == [3])

        try EvalSetFile.write(try sample(pixels: .f32([1, 0.5, 0, 0, 0, 0, 0, 0.75])), to: url)
        let floats = try EvalSetFile.read(path: url.path)
        floats.fill(&out, labels: &labels, indices: [1])
        #expect(out == [-2, -2, -2, 1] && labels == [1])
    }

    @Test func badEvalSetsNameFileAndField() throws {
        let temporary = try TemporaryDirectory("lgreg-runtime")
        let dir = temporary.url
        func file(_ metadata: [String: String], labels: Int = 2, imageShape: [Int] = [2, 1, 2, 2]) throws -> String {
            var writer = SafeTensorsWriter(metadata: metadata)
            try writer.add(
                "images", dtype: .u8, shape: imageShape, bytes: [UInt8](repeating: 1, count: imageShape.reduce(1, *)))
            try writer.add("labels", shape: [labels], int64s: [Int64](repeating: 0, count: labels))
            let url = dir.appendingPathComponent("\(UUID()).safetensors")
            try writer.write(to: url)
            return url.path
        }
        let good = ["format": "lgreg-eval-set", "format_version": "1", "mean": "[0.1]", "std": "[0.2]"]
        let future = try file(good.merging(["format_version": "2"]) { $1 })
        #expect(throws: RuntimeError.unknownFormatVersion(file: future, version: "2", supported: 1)) {
            try EvalSetFile.read(path: future)
        }
        let noStd = try file(good.filter { $0.key != "std" })
        #expect(
            throws: RuntimeError.invalidField(
                file: noStd, field: "__metadata__.std",
                reason: "must be a JSON array of numbers such as [0.286], got nothing")
        ) {
            try EvalSetFile.read(path: noStd)
        }
        let mismatch = try file(good, labels: 3)
        #expect(throws: RuntimeError.countMismatch(images: mismatch, imageCount: 2, labels: mismatch, labelCount: 3)) {
            try EvalSetFile.read(path: mismatch)
        }
        let wrongFormat = try file(good.merging(["format": "other"]) { $1 })
        #expect(
            throws: RuntimeError.invalidField(
                file: wrongFormat, field: "__metadata__.format", reason: "is 'other', expected 'lgreg-eval-set'")
        ) {
            try EvalSetFile.read(path: wrongFormat)
        }
        // The right format, but 2×2 images where the model takes 28×28.
        let small = try EvalSetFile.read(path: try file(good))
        #expect(throws: RuntimeError.inputShape(file: small.source, expected: [1, 28, 28], actual: [1, 2, 2])) {
            try small.check(against: ViTArchitecture.preset("fmnist-tiny"))
        }
    }

    @Test func dataSpecsParse() throws {
        #expect(try DataSpec(parsing: "fashion-mnist:train") == .fashionMNIST(.train))
        #expect(try DataSpec(parsing: "fashion-mnist") == .fashionMNIST(.test))
        #expect(try DataSpec(parsing: "fashion-mnist-test") == .fashionMNIST(.test))
        #expect(throws: RuntimeError.unknownDataSpec(spec: "fashion-mnistx")) {
            try DataSpec(parsing: "fashion-mnistx")
        }
        #expect(throws: RuntimeError.unknownDataSpec(spec: "fashion-mnist:valid")) {
            try DataSpec(parsing: "fashion-mnist:valid")
        }
        #expect(throws: RuntimeError.unknownDataSpec(spec: "/no/such.safetensors")) {
            try DataSpec(parsing: "/no/such.safetensors")
        }
    }

    @Test func batchOrderIsDeterministic() {
        let plain = BatchOrder(count: 10, batchSize: 4)
        #expect(plain.map(Array.init) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
        let a = BatchOrder(count: 100, batchSize: 7, shuffleSeed: 42)
        let b = BatchOrder(count: 100, batchSize: 7, shuffleSeed: 42)
        #expect(a.indices == b.indices && a.indices != plain.indices && a.indices.sorted() == Array(0..<100))
        #expect(a.batchCount == 15 && BatchOrder(count: 100, batchSize: 7, shuffleSeed: 43).indices != a.indices)
    }
}
