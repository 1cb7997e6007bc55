import Foundation
import Testing

@testable import SafeTensors

/// `SafeTensorsFile(tensors:label:load:)`: described now, read on first use, once; `unload` gives the bytes back.
@Suite struct DeferredFileTests {
    /// Counts how many times the file was read.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func increment() { lock.withLock { value += 1 } }
        var count: Int { lock.withLock { value } }
    }

    static let header =
        #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[1],"data_offsets":[8,9]}}"#
    static let data: [UInt8] = [0, 0, 0xC0, 0x3F, 0, 0, 0, 0xC0, 7]  // 1.5, -2, then 7

    static func described(_ shapeOfA: [Int] = [2]) -> [TensorInfo] {
        [
            TensorInfo(name: "a", dtype: .f32, shape: shapeOfA, dataRange: 0..<8),
            TensorInfo(name: "b", dtype: .u8, shape: [1], dataRange: 8..<9),
        ]
    }

    @Test func describedNowReadOnFirstUseOnceAndAgainAfterUnload() throws {
        let reads = Counter()
        let file = SafeTensorsFile(tensors: Self.described(), label: "lazy.safetensors") {
            reads.increment()
            return try SafeTensorsFile(data: handMade(header: Self.header, data: Self.data), label: "lazy.safetensors")
        }
        #expect(try file.info("a").shape == [2] && file.contains("b") && file.metadata.isEmpty)
        #expect(reads.count == 0, "describing the file reads nothing")
        #expect(try file.floats("a") == [1.5, -2])
        #expect(Array(try file.bytes("b")) == [7])
        #expect(Array(file.fileBytes) == Array(handMade(header: Self.header, data: Self.data)))
        #expect(reads.count == 1, "read once for every use")
        file.unload()
        #expect(try file.floats("a") == [1.5, -2])
        #expect(reads.count == 2, "read again after unload")
    }

    @Test func aFileThatIsNotWhatWasDescribedFailsItsFirstUse() throws {
        let file = SafeTensorsFile(tensors: Self.described([2, 1]), label: "lazy.safetensors") {
            try SafeTensorsFile(data: handMade(header: Self.header, data: Self.data), label: "lazy.safetensors")
        }
        #expect(try file.info("a").shape == [2, 1])
        #expect(
            throws: SafeTensorsError.invalidTensorEntry(
                path: "lazy.safetensors", tensor: "a", field: "dtype, shape and offsets",
                reason: "are not those it was described with before it was read")
        ) { try file.bytes("b") }
        #expect(file.fileBytes.isEmpty)
    }

    /// A file streamed into its own memory holds what `fill` wrote; one `fill` gives up on is not kept.
    @Test func filledInPlace() throws {
        let bytes = handMade(header: Self.header, data: Self.data)
        let file = try SafeTensorsFile(count: bytes.count, label: "filled") { bytes.copyBytes(to: $0) }
        #expect(try file.floats("a") == [1.5, -2])
        struct Stop: Error {}
        #expect(throws: Stop.self) { try SafeTensorsFile(count: 16, label: "stopped") { _ in throw Stop() } }
    }

    /// `unload` drops a mapped file's pages; the next use faults the same bytes in from the file.
    @Test func aMappedFileReadsTheSameAfterUnload() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mapped-\(UUID()).safetensors")
        try handMade(header: Self.header, data: Self.data).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try SafeTensorsFile(path: url.path)
        #expect(try file.floats("a") == [1.5, -2])
        file.unload()
        #expect(try file.floats("a") == [1.5, -2])
        #expect(Array(try file.bytes("b")) == [7])
    }
}
