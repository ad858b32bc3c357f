import CONNXRuntime

/// The process-wide ONNX Runtime environment.
///
/// ONNX Runtime keeps one environment per process: a second `CreateEnv` hands back the first one whatever options
/// it asks for. `shared` makes that explicit; every session is created from it. `OrtEnv` is thread-safe, which is
/// why this class can be `@unchecked Sendable`.
public final class ONNXRuntimeEnvironment: @unchecked Sendable {
    let api: UnsafePointer<OrtApi>
    let pointer: OpaquePointer

    /// The version of the loaded ONNX Runtime library, e.g. "1.32.0".
    public static var version: String {
        guard let base = OrtGetApiBase(), let getVersion = base.pointee.GetVersionString else { return "unknown" }
        return getVersion().map { String(cString: $0) } ?? "unknown"
    }

    /// The environment, created on first use.
    ///
    /// - Throws: `ONNXRuntimeError.apiUnavailable` when the loaded library does not provide the C API version these
    ///   headers need (`ORT_API_VERSION`), `.runtime` when `CreateEnv` fails. The outcome of the first call is kept:
    ///   a failure is thrown again on every later call.
    public static func shared() throws(ONNXRuntimeError) -> ONNXRuntimeEnvironment {
        switch sharedResult {
        case .success(let environment): return environment
        case .failure(let error): throw error
        }
    }

    private static let sharedResult: Result<ONNXRuntimeEnvironment, ONNXRuntimeError> = Result {
        () throws(ONNXRuntimeError) in try ONNXRuntimeEnvironment()
    }

    private init() throws(ONNXRuntimeError) {
        guard let base = OrtGetApiBase(), let getApi = base.pointee.GetApi,
            let api = getApi(UInt32(ORT_API_VERSION))
        else { throw .apiUnavailable(requestedVersion: Int(ORT_API_VERSION)) }
        self.api = api
        var environment: OpaquePointer?
        try check(api, api.pointee.CreateEnv(ORT_LOGGING_LEVEL_WARNING, "facematrix", &environment))
        guard let environment else { throw .runtime(code: -1, message: "CreateEnv returned no environment") }
        self.pointer = environment
    }

    deinit {
        api.pointee.ReleaseEnv(pointer)
    }
}

/// Turns an `OrtStatus` into a Swift error, releasing the status.
@inline(__always)
func check(_ api: UnsafePointer<OrtApi>, _ status: OpaquePointer?) throws(ONNXRuntimeError) {
    guard let status else { return }
    defer { api.pointee.ReleaseStatus(status) }
    let code = Int(api.pointee.GetErrorCode(status).rawValue)
    let message = api.pointee.GetErrorMessage(status).map { String(cString: $0) } ?? "unknown error"
    throw .runtime(code: code, message: message)
}
