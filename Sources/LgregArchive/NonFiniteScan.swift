import Foundation
import SafeTensors

/// Finds NaN and infinite weights, which no learngene may hold (a model trained into them is broken, and every
/// Des-Net made from it would be too): in a whole tensor, or in a safetensors file's data as it streams past in
/// chunks of any size (an element split between two chunks is carried over).
struct NonFiniteScan {
    let header: SafeTensorsHeader
    let elementSize: Int
    let isNonFinite: (UnsafeRawBufferPointer, Int) -> Bool
    private var carry: [UInt8] = []

    /// A scan of the data of the file `header` describes, whose tensors are all of `dtype` (a floating-point one).
    init(header: SafeTensorsHeader, dtype: DType) {
        self.header = header
        elementSize = dtype.byteSize
        isNonFinite = Self.test(for: dtype)
    }

    /// The tensor holding the first NaN or infinity in `chunk`, the file's bytes from `fileOffset` on (chunks
    /// must come in order); nil when there is none so far.
    mutating func firstNonFinite(in chunk: UnsafeRawBufferPointer, at fileOffset: Int) -> TensorInfo? {
        var index = max(0, header.dataStart - fileOffset)
        guard index < chunk.count else { return nil }
        if !carry.isEmpty {
            let take = min(elementSize - carry.count, chunk.count - index)
            carry += chunk[index..<index + take]
            index += take
            guard carry.count == elementSize else { return nil }
            let element = carry
            carry = []
            if element.withUnsafeBytes({ isNonFinite($0, 0) }) { return tensor(at: fileOffset + index - elementSize) }
        }
        while index + elementSize <= chunk.count {
            if isNonFinite(chunk, index) { return tensor(at: fileOffset + index) }
            index += elementSize
        }
        carry = Array(chunk[index...])
        return nil
    }

    /// The index of the first NaN or infinity among `bytes`, elements of `dtype`; nil when every one is finite.
    static func firstNonFinite(in bytes: UnsafeRawBufferPointer, dtype: DType) -> Int? {
        let test = test(for: dtype)
        return stride(from: 0, to: bytes.count - dtype.byteSize + 1, by: dtype.byteSize).first { test(bytes, $0) }
            .map { $0 / dtype.byteSize }
    }

    private func tensor(at fileOffset: Int) -> TensorInfo? {
        header.tensors.first { $0.dataRange.contains(fileOffset - header.dataStart) }
    }

    /// Whether the element at a byte offset is NaN or infinite: all its exponent bits set (little-endian).
    private static func test(for dtype: DType) -> (UnsafeRawBufferPointer, Int) -> Bool {
        switch dtype {
        case .f32: return { $0.loadUnaligned(fromByteOffset: $1, as: UInt32.self) & 0x7F80_0000 == 0x7F80_0000 }
        case .f16: return { $0.loadUnaligned(fromByteOffset: $1, as: UInt16.self) & 0x7C00 == 0x7C00 }
        case .bf16: return { $0.loadUnaligned(fromByteOffset: $1, as: UInt16.self) & 0x7F80 == 0x7F80 }
        case .i64, .u8: return { _, _ in false }
        }
    }
}
