/// Conversions between stored element types and `Float`, all on little-endian bytes.
public enum DTypeConversion {
    /// F32 bytes → Float.
    public static func floats(fromF32 raw: UnsafeRawBufferPointer) -> [Float] {
        let count = raw.count / 4
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count {
                buffer[i] = Float(
                    bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
            initialized = count
        }
    }

    /// IEEE half bytes → Float (exact).
    public static func floats(fromF16 raw: UnsafeRawBufferPointer) -> [Float] {
        (0..<(raw.count / 2)).map {
            Float(float16Bits: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)))
        }
    }

    /// bfloat16 bytes → Float (exact: bf16 is the top half of an f32).
    public static func floats(fromBF16 raw: UnsafeRawBufferPointer) -> [Float] {
        (0..<(raw.count / 2)).map {
            Float(
                bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)))
                    << 16)
        }
    }

    /// Encodes floats as `dtype` bytes (F16 and BF16 round to nearest even).
    public static func bytes(_ values: [Float], as dtype: DType) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(values.count * dtype.byteSize)
        switch dtype {
        case .f32:
            values.withUnsafeBytes { out.append(contentsOf: $0) }  // little-endian hosts only (x86-64, arm64)
        case .f16:
            for v in values {
                let b = v.float16Bits
                out.append(UInt8(b & 0xFF))
                out.append(UInt8(b >> 8))
            }
        case .bf16:
            for v in values {
                let b = bfloat16Bits(v)
                out.append(UInt8(b & 0xFF))
                out.append(UInt8(b >> 8))
            }
        case .i64, .u8:
            preconditionFailure("bytes(_:as:) encodes floating-point dtypes only")
        }
        return out
    }

    /// Float → bfloat16 bits, rounding to nearest even; NaN stays NaN.
    static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x40 }
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }
}

extension Float {
    /// The value of IEEE binary16 bits.
    init(float16Bits bits: UInt16) {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa · 2^-24.
            let magnitude = Float(mantissa) * 0x1p-24
            self = sign == 0 ? magnitude : -magnitude
        } else if exponent == 31 {
            self = Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        } else {
            self = Float(bitPattern: sign | (UInt32(exponent - 15 + 127) << 23) | (mantissa << 13))
        }
    }

    /// IEEE binary16 bits of this value, rounding to nearest even (overflow → infinity).
    var float16Bits: UInt16 {
        let bits = bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        if isNaN { return sign | 0x7E00 }
        let magnitude = abs(self)
        if magnitude >= 65520 { return sign | 0x7C00 }
        if magnitude < 0x1p-14 {
            // Subnormal half: round magnitude / 2^-24 to an integer, ties to even.
            return sign | UInt16((magnitude * 0x1p24).rounded(.toNearestOrEven))
        }
        let exponent = Int((bits >> 23) & 0xFF) - 127 + 15
        var mantissa = bits & 0x7F_FFFF
        var half = UInt32(exponent) << 10 | (mantissa >> 13)
        mantissa &= 0x1FFF
        if mantissa > 0x1000 || (mantissa == 0x1000 && (half & 1) == 1) { half += 1 }
        return sign | UInt16(half)
    }
}
