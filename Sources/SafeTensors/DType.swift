/// Element types lgreg reads and writes in safetensors files.
///
/// The format knows more (F64, I32, I16, I8, BOOL, F8 variants); lgreg refuses those by name rather than
/// guessing at them.
public enum DType: String, Codable, CaseIterable, Sendable {
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i64 = "I64"
    case u8 = "U8"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .i64: return 8
        case .u8: return 1
        }
    }

    /// Whether the values are floating point (and can be read as `Float`).
    public var isFloatingPoint: Bool { self == .f32 || self == .f16 || self == .bf16 }

    /// dtype names of the safetensors format that lgreg recognizes but does not support.
    static let knownUnsupported: Set<String> = [
        "F64", "I32", "I16", "I8", "U16", "U32", "U64", "BOOL", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3",
        "F6_E3M2", "C64",
    ]
}
