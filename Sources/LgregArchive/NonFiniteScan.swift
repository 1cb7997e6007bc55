import Foundation
import SafeTensors

/// Finds NaN and infinite weights, which no learngene may hold (a model trained into them is broken, and every
/// Des-Net made from it would be too): in a whole tensor, or in a safetensors file's data as it streams past in
/// chunks of any size (an element split between two chunks is carried over).
struct NonFiniteScan {
    let header: SafeTensorsHeader
    let dtype: DType
    let elementSize: Int
    let isNonFinite: (UnsafeRawBufferPointer, Int) -> Bool
    private var carry: [UInt8] = []

    /// A scan of the data of the file `header` describes, whose tensors are all of `dtype` (a floating-point one).
    init(header: SafeTensorsHeader, dtype: DType) {
        self.header = header
        self.dtype = dtype
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
        let whole = (chunk.count - index) / elementSize * elementSize
        if let first = Self.firstNonFinite(
            in: UnsafeRawBufferPointer(rebasing: chunk[index..<(index + whole)]), dtype: dtype)
        {
            return tensor(at: fileOffset + index + first * elementSize)
        }
        index += whole
        carry = Array(chunk[index...])
        return nil
    }

    /// The index of the first NaN or infinity among `bytes`, elements of `dtype`; nil when every one is finite.
    ///
    /// An element is NaN or infinite when its exponent field is all ones: `(x & e) + lowest(e)` then carries into
    /// the sign bit, and into no other case. That is OR-ed over a block of 4,096 elements, 64 bytes at a time in
    /// SIMD registers, with no branch; only a block that sets a sign bit is searched element by element.
    static func firstNonFinite(in bytes: UnsafeRawBufferPointer, dtype: DType) -> Int? {
        switch dtype {
        case .f32: return firstNonFinite(in: bytes, as: SIMD16<UInt32>.self, exponent: 0x7F80_0000)
        case .f16: return firstNonFinite(in: bytes, as: SIMD32<UInt16>.self, exponent: 0x7C00)
        case .bf16: return firstNonFinite(in: bytes, as: SIMD32<UInt16>.self, exponent: 0x7F80)
        case .i64, .u8: return nil
        }
    }

    private static func firstNonFinite<Vector: SIMD>(
        in bytes: UnsafeRawBufferPointer, as _: Vector.Type, exponent: Vector.Scalar
    ) -> Int? where Vector.Scalar: FixedWidthInteger & UnsignedInteger {
        typealias Word = Vector.Scalar
        let size = MemoryLayout<Word>.size
        let count = bytes.count / size
        guard count > 0, let base = bytes.baseAddress else { return nil }
        let carry = exponent & ~(exponent &- 1)  // the exponent field's lowest bit
        let sign = Word(1) << (Word.bitWidth - 1)
        let lanes = Vector.scalarCount
        func word(_ i: Int) -> Word { base.loadUnaligned(fromByteOffset: i * size, as: Word.self) }
        var start = 0
        while start < count {
            let end = min(start + 4096, count)
            var any = Vector(repeating: 0)
            var i = start
            while i + lanes <= end {
                any |= (base.loadUnaligned(fromByteOffset: i * size, as: Vector.self) & exponent) &+ carry
                i += lanes
            }
            var tail: Word = 0
            while i < end {
                tail |= (word(i) & exponent) &+ carry
                i += 1
            }
            if tail & sign != 0 || any & sign != Vector(repeating: 0) {
                return (start..<end).first { word($0) & exponent == exponent }
            }
            start = end
        }
        return nil
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
