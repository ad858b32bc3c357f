/// A dense float32 tensor in row-major order.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }

    /// A tensor of the given shape filled with zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, values: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public var elementCount: Int { shape.reduce(1, *) }
}

/// The declared name, element type and shape of a model input or output; `-1` marks a dynamic axis.
public struct TensorInfo: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var shape: [Int]
    /// ONNX's `TensorProto.DataType` number (1 is float32).
    public var elementType: Int

    public init(name: String, shape: [Int], elementType: Int) {
        self.name = name
        self.shape = shape
        self.elementType = elementType
    }

    public var description: String {
        "\(name): \(shape.map { $0 < 0 ? "?" : String($0) }.joined(separator: "×"))"
    }
}
