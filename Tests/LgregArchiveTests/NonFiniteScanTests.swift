import Foundation
import SafeTensors
import Testing

@testable import LgregArchive

/// The vectorized NaN/infinity scan (issue 28) finds exactly the elements whose exponent field is all ones, at
/// their index, in any block and any tail, and nothing else: not the largest finite value, not -0, not a subnormal.
@Suite struct NonFiniteScanTests {
    /// Bit patterns by dtype: (an infinity, a NaN, the largest finite value, -0, the smallest subnormal).
    static let patterns: [(DType, [UInt32])] = [
        (.f32, [0x7F80_0000, 0xFFC0_0001, 0x7F7F_FFFF, 0x8000_0000, 0x0000_0001]),
        (.f16, [0x7C00, 0xFE01, 0x7BFF, 0x8000, 0x0001]),
        (.bf16, [0x7F80, 0xFFC1, 0x7F7F, 0x8000, 0x0001]),
    ]

    static func buffer(_ dtype: DType, count: Int, fill: UInt32, at index: Int?, value: UInt32) -> [UInt8] {
        var bytes = [UInt8]()
        for i in 0..<count {
            let word = i == index ? value : fill
            for b in 0..<dtype.byteSize { bytes.append(UInt8((word >> (8 * b)) & 0xFF)) }
        }
        return bytes
    }

    @Test(arguments: [DType.f32, .f16, .bf16])
    func findsTheFirstNonFiniteElement(dtype: DType) {
        let p = Self.patterns.first { $0.0 == dtype }!.1
        let one: UInt32 = dtype == .f32 ? 0x3F80_0000 : dtype == .f16 ? 0x3C00 : 0x3F80
        // 10,003 elements: three blocks of 4,096 (the last one partial) and a tail shorter than a SIMD vector.
        for index in [0, 15, 4095, 4096, 5000, 10_002] {
            for value in p[0...1] {
                let bytes = Self.buffer(dtype, count: 10_003, fill: one, at: index, value: value)
                let found = bytes.withUnsafeBytes { NonFiniteScan.firstNonFinite(in: $0, dtype: dtype) }
                #expect(found == index, "\(dtype) 0x\(String(value, radix: 16)) at \(index)")
            }
        }
        for value in p[2...4] {
            let bytes = Self.buffer(dtype, count: 10_003, fill: one, at: 7777, value: value)
            #expect(bytes.withUnsafeBytes { NonFiniteScan.firstNonFinite(in: $0, dtype: dtype) } == nil)
        }
        // Unaligned: the same scan one byte into the buffer (the element boundaries move with it).
        let shifted = [0] + Self.buffer(dtype, count: 100, fill: one, at: 63, value: p[0])
        let found = shifted.withUnsafeBytes {
            NonFiniteScan.firstNonFinite(in: UnsafeRawBufferPointer(rebasing: $0[1...]), dtype: dtype)
        }
        #expect(found == 63)
    }
}
