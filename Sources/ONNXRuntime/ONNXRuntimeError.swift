/// A failure reported by ONNX Runtime or by this wrapper before it calls ONNX Runtime.
public enum ONNXRuntimeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The loaded library does not offer the C API version these headers describe.
    case apiUnavailable(requestedVersion: Int)
    /// ONNX Runtime returned a status; `code` is its `OrtErrorCode`.
    case runtime(code: Int, message: String)
    /// A feed names an input the model does not declare; the payload is that name.
    case unknownInput(String)
    /// An output was requested that the model does not declare; the payload is that name.
    case unknownOutput(String)
    /// A tensor's element count does not match the product of its shape.
    case shapeMismatch(name: String, shape: [Int], elementCount: Int)
    /// An output is not float32; `type` is ONNX's `TensorProto.DataType` number.
    case unsupportedElementType(name: String, type: Int)

    /// A one-line message for logs.
    public var description: String {
        switch self {
        case .apiUnavailable(let version):
            "ONNX Runtime does not provide C API version \(version)"
        case .runtime(let code, let message):
            "ONNX Runtime error \(code): \(message)"
        case .unknownInput(let name):
            "the model has no input named '\(name)'"
        case .unknownOutput(let name):
            "the model has no output named '\(name)'"
        case .shapeMismatch(let name, let shape, let count):
            "tensor '\(name)' has \(count) elements, which does not fit shape \(shape)"
        case .unsupportedElementType(let name, let type):
            "tensor '\(name)' has element type \(type); only float32 is supported"
        }
    }
}
