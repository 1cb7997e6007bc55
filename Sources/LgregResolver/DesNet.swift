import Foundation
import LgregArchitecture
import LgregCore
import SafeTensors

/// One tensor of a planned Des-Net, in lgreg's naming, with where its values come from. Nothing is read or
/// computed until `withBytes` is called, so a 400 MB model can be streamed to disk tensor by tensor.
public struct DesNetTensor: Sendable {
    /// Where the values come from.
    public enum Content: Sendable {
        /// The bytes of `tensor` in `file`, unchanged.
        case copy(SafeTensorsFile, tensor: String)
        /// TLEG's θ_A + factor·θ_B, element by element, from the same tensor of two files.
        case interpolated(a: SafeTensorsFile, b: SafeTensorsFile, tensor: String, factor: Float)
        /// Fresh values per the spec's initializer (`TensorSpec.initialValues(using:)`, timm's defaults), drawn from
        /// `SplitMix64(seed:)`.
        case fresh(TensorSpec, seed: UInt64)
    }

    /// lgreg name (`blocks.3.attn.qkv.weight`, `norm.weight`).
    public let name: String
    /// Shape, outermost first.
    public let shape: [Int]
    /// Element type written: the source tensor's for a copy or an interpolation, the learngene's for a fresh one.
    public let dtype: DType
    /// Where the values come from.
    public let content: Content

    /// Bytes the tensor occupies.
    public var byteCount: Int { shape.reduce(1, *) * dtype.byteSize }

    /// The files its values are read from.
    public var sources: [SafeTensorsFile] {
        switch content {
        case .copy(let file, _): return [file]
        case .interpolated(let a, let b, _, _): return [a, b]
        case .fresh: return []
        }
    }

    /// Calls `body` with the tensor's little-endian bytes: a view into the source file for a copy, a
    /// temporary buffer otherwise.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        switch content {
        case .copy(let file, let tensor):
            return try body(try file.bytes(tensor))
        case .interpolated, .fresh:
            return try DTypeConversion.bytes(try floats(), as: dtype).withUnsafeBytes(body)
        }
    }

    /// The values widened to `Float`.
    public func floats() throws -> [Float] {
        switch content {
        case .copy(let file, let tensor):
            return try file.floats(tensor)
        case .interpolated(let a, let b, let tensor, let factor):
            // θ_l = θ_A + (l/L)·θ_B
            let thetaA = try a.floats(tensor)
            let thetaB = try b.floats(tensor)
            return zip(thetaA, thetaB).map { $0 + factor * $1 }
        case .fresh(let spec, let seed):
            var generator = SplitMix64(seed: seed)
            return spec.initialValues(using: &generator)
        }
    }
}

/// A Des-Net ready to be written: its architecture and depth, its tensors in timm's `state_dict()` order
/// (lgreg names), and its lineage.
public struct DesNet: Sendable {
    /// The Des-Net's architecture (its `classes` are the head's; its `pooling` is the order the export states).
    public let architecture: ViTArchitecture
    /// Number of blocks.
    public let depth: Int
    /// How each block was initialized.
    public let blocks: [BlockInit]
    public let lineage: Lineage
    /// Class token, position embedding and patch embedding, then the blocks, then the final norm and the
    /// head: the order timm's `state_dict()` lists them.
    public let tensors: [DesNetTensor]

    /// Bytes of all tensors.
    public var byteCount: Int { tensors.reduce(0) { $0 + $1.byteCount } }
    /// Parameters of all tensors.
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.shape.reduce(1, *) } }
}
