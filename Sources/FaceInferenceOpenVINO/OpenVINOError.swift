import COpenVINO

#if canImport(Glibc)
    import Glibc
#endif

/// OpenVINO refused a call, or a run was given something the model does not declare.
public enum OpenVINOError: Error, Equatable, CustomStringConvertible {
    /// A C API call failed: its name, OpenVINO's status code and last error message.
    case runtime(call: String, status: Int32, message: String)
    /// A feed names no input of the model.
    case unknownInput(String)
    /// A requested output is not one of the model's.
    case unknownOutput(String)
    /// The model needs an input the feeds lack.
    case missingInput(String)
    /// A feed's values do not fill its shape, or a dimension is not positive.
    case shapeMismatch(name: String, shape: [Int], elementCount: Int)
    /// An output is not float32, the only element type the pipeline reads.
    case unsupportedElementType(name: String)

    /// A one-line message for logs.
    public var description: String {
        switch self {
        case .runtime(let call, let status, let message): "OpenVINO \(call) failed (status \(status)): \(message)"
        case .unknownInput(let name): "the model has no input '\(name)'"
        case .unknownOutput(let name): "the model has no output '\(name)'"
        case .missingInput(let name): "no value for the model's input '\(name)'"
        case .shapeMismatch(let name, let shape, let count):
            "input '\(name)' has \(count) values for shape \(shape)"
        case .unsupportedElementType(let name): "output '\(name)' is not float32"
        }
    }
}

/// Throws `OpenVINOError.runtime` naming `call` unless `status` is OK.
///
/// OpenVINO keeps one last-error message per process, so under concurrent failures the message may belong to
/// another call; the call name and status are always this call's.
func check(_ status: ov_status_e, _ call: String) throws(OpenVINOError) {
    guard status != OK else { return }
    var message = String(cString: ov_get_error_info(status))
    if let detail = ov_get_last_err_msg() {
        let text = String(cString: detail)
        ov_free(detail)
        if !text.isEmpty { message = text }
    }
    throw .runtime(call: call, status: status.rawValue, message: message)
}
