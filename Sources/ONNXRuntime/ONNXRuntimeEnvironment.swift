import CONNXRuntime

/// The process-wide ONNX Runtime environment. Create one and share it between sessions.
///
/// `OrtEnv` is thread-safe, which is why this class can be `@unchecked Sendable`.
public final class ONNXRuntimeEnvironment: @unchecked Sendable {
    let api: UnsafePointer<OrtApi>
    let pointer: OpaquePointer

    /// The version of the loaded ONNX Runtime library, e.g. "1.32.0".
    public static var version: String {
        guard let base = OrtGetApiBase(), let getVersion = base.pointee.GetVersionString else { return "unknown" }
        return getVersion().map { String(cString: $0) } ?? "unknown"
    }

    /// - Parameter sharedThreads: when set, every session that asks for it runs on one pool of this many
    ///   intra-op threads, instead of each session starting its own pool; on a small machine that keeps
    ///   several models from over-subscribing the cores.
    public init(logIdentifier: String = "facematrix", sharedThreads: Int? = nil) throws(ONNXRuntimeError) {
        guard let base = OrtGetApiBase(), let getApi = base.pointee.GetApi,
            let api = getApi(UInt32(ORT_API_VERSION))
        else { throw .apiUnavailable(requestedVersion: Int(ORT_API_VERSION)) }
        self.api = api

        var environment: OpaquePointer?
        if let sharedThreads {
            var threading: OpaquePointer?
            try check(api, api.pointee.CreateThreadingOptions(&threading))
            defer { api.pointee.ReleaseThreadingOptions(threading) }
            try check(api, api.pointee.SetGlobalIntraOpNumThreads(threading, Int32(sharedThreads)))
            try check(api, api.pointee.SetGlobalInterOpNumThreads(threading, 1))
            // Spinning threads burn a core while waiting; on two cores that starves the other requests.
            try check(api, api.pointee.SetGlobalSpinControl(threading, 0))
            try check(
                api,
                api.pointee.CreateEnvWithGlobalThreadPools(
                    ORT_LOGGING_LEVEL_WARNING, logIdentifier, threading, &environment)
            )
        } else {
            try check(api, api.pointee.CreateEnv(ORT_LOGGING_LEVEL_WARNING, logIdentifier, &environment))
        }
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
