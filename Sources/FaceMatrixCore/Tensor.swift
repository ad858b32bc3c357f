/// A dense float32 tensor in row-major order.
public struct Tensor: Sendable, Equatable {
    /// Size of each dimension, outermost first.
    public var shape: [Int]
    /// The elements in row-major order, `elementCount` of them.
    public var values: [Float]

    /// Wraps `values` as a tensor of `shape`; the count is not checked against the shape.
    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }

    /// A tensor of the given shape filled with zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, values: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// The product of `shape`: how many values the shape holds.
    public var elementCount: Int { shape.reduce(1, *) }
}

/// The declared name, element type and shape of a model input or output; `-1` marks a dynamic axis.
public struct TensorInfo: Sendable, Equatable, CustomStringConvertible {
    /// The tensor's name in the model graph.
    public var name: String
    /// Dimensions, outermost first; -1 for a dynamic axis.
    public var shape: [Int]
    /// ONNX's `TensorProto.DataType` number (1 is float32).
    public var elementType: Int

    /// Describes one model input or output.
    public init(name: String, shape: [Int], elementType: Int) {
        self.name = name
        self.shape = shape
        self.elementType = elementType
    }

    /// Name and shape for messages, dynamic axes as ?, e.g. "input: ?×3×128×128".
    public var description: String {
        "\(name): \(shape.map { $0 < 0 ? "?" : String($0) }.joined(separator: "×"))"
    }
}
