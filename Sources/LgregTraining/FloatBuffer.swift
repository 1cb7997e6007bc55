/// A fixed-size, zero-initialized Float allocation with a stable address, the storage of parameters,
/// gradients, optimizer moments and activations (llm.c's flat buffers). Reference semantics.
public final class FloatBuffer: @unchecked Sendable {
    /// Number of floats.
    public let count: Int
    /// Start of the allocation; valid for the buffer's lifetime.
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }

    /// Sets every element to 0 (the explicit zero-grad).
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// A copy of the contents.
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// Replaces the contents with `values` (same count).
    public func assign(_ values: [Float]) {
        precondition(values.count == count, "FloatBuffer.assign: \(values.count) values into \(count)")
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }

    public subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }
}
