import CONNXRuntime
public import FaceMatrixCore

#if canImport(Glibc)
    import Glibc
#endif

/// A loaded model. `OrtSession::Run` is thread-safe, so one session serves concurrent callers.
public final class ONNXRuntimeSession: @unchecked Sendable {
    /// The model's declared inputs, in graph order; `-1` marks a dynamic axis.
    public let inputs: [TensorInfo]
    /// The model's declared outputs, in graph order; `-1` marks a dynamic axis.
    public let outputs: [TensorInfo]

    let environment: ONNXRuntimeEnvironment
    let pointer: OpaquePointer
    let memoryInfo: OpaquePointer
    var api: UnsafePointer<OrtApi> { environment.api }

    /// Loads a model through the ONNX Runtime C API (`CreateSession`), to run on the CPU.
    ///
    /// - Parameters:
    ///   - environment: The process's environment, `ONNXRuntimeEnvironment.shared()`.
    ///   - modelPath: Path of the .onnx file.
    ///   - options: Threads and graph optimisation.
    /// - Throws: `ONNXRuntimeError.runtime` when ONNX Runtime cannot apply the options, or read, check or
    ///   optimise the model.
    public init(
        environment: ONNXRuntimeEnvironment,
        modelPath: String,
        options: SessionOptions = SessionOptions()
    ) throws(ONNXRuntimeError) {
        let api = environment.api
        self.environment = environment

        var sessionOptions: OpaquePointer?
        try check(api, api.pointee.CreateSessionOptions(&sessionOptions))
        defer { api.pointee.ReleaseSessionOptions(sessionOptions) }
        try configure(sessionOptions, with: options, api: api)

        var session: OpaquePointer?
        try check(api, api.pointee.CreateSession(environment.pointer, modelPath, sessionOptions, &session))
        guard let session else { throw .runtime(code: -1, message: "CreateSession returned no session") }

        var memoryInfo: OpaquePointer?
        do {
            try check(api, api.pointee.CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &memoryInfo))
            self.inputs = try describe(session, api: api, side: .input)
            self.outputs = try describe(session, api: api, side: .output)
        } catch {
            api.pointee.ReleaseSession(session)
            if let memoryInfo { api.pointee.ReleaseMemoryInfo(memoryInfo) }
            throw error
        }
        guard let memoryInfo else {
            api.pointee.ReleaseSession(session)
            throw .runtime(code: -1, message: "CreateCpuMemoryInfo returned no memory info")
        }
        self.pointer = session
        self.memoryInfo = memoryInfo
    }

    deinit {
        api.pointee.ReleaseMemoryInfo(memoryInfo)
        api.pointee.ReleaseSession(pointer)
    }

    /// Runs the model on float32 inputs and returns the requested outputs (all outputs when `outputNames` is nil).
    ///
    /// Inputs are lent to ONNX Runtime without copying; outputs are copied into new tensors.
    ///
    /// - Parameter feeds: Input tensors by input name; each one's `values.count` must equal the product of its shape.
    /// - Returns: The requested outputs by name, with the shapes the run produced.
    /// - Throws: `ONNXRuntimeError.unknownInput` / `.unknownOutput` for a name the model does not declare,
    ///   `.shapeMismatch` for a feed whose values do not fill its shape, `.unsupportedElementType` for an output
    ///   that is not float32, and `.runtime` when `Run` fails (a missing input, a shape the model rejects).
    public func run(_ feeds: [String: Tensor], outputNames: [String]? = nil) throws(ONNXRuntimeError) -> [String:
        Tensor]
    {
        let requested = outputNames ?? outputs.map(\.name)
        for name in feeds.keys where !inputs.contains(where: { $0.name == name }) { throw .unknownInput(name) }
        for name in requested where !outputs.contains(where: { $0.name == name }) { throw .unknownOutput(name) }
        for (name, tensor) in feeds where tensor.values.count != tensor.elementCount {
            throw .shapeMismatch(name: name, shape: tensor.shape, elementCount: tensor.values.count)
        }

        let orderedFeeds = feeds.sorted { $0.key < $1.key }
        var inputValues: [OpaquePointer?] = []
        inputValues.reserveCapacity(orderedFeeds.count)
        defer { for value in inputValues { api.pointee.ReleaseValue(value) } }

        return try withInputValues(orderedFeeds.map(\.value), index: 0, values: &inputValues) {
            values throws(ONNXRuntimeError) in
            try runSession(inputNames: orderedFeeds.map(\.key), inputValues: values, outputNames: requested)
        }
    }

}
