import CONNXRuntime
public import FaceMatrixCore

#if canImport(Glibc)
    import Glibc
#endif

/// How a session uses threads and optimises its graph.
public struct SessionOptions: Sendable, Equatable {
    /// Threads one run may use inside an operator. With 1 the calling thread does all the work and no pool is
    /// started, which suits a server that runs several requests side by side on few cores.
    public var intraOpThreads: Int
    public var interOpThreads: Int
    /// Whether idle pool threads spin; spinning lowers latency on idle machines and wastes cores on busy ones.
    public var allowSpinning: Bool
    public var graphOptimization: GraphOptimization

    public enum GraphOptimization: Sendable, Equatable {
        case disabled, basic, extended, all
    }

    public init(
        intraOpThreads: Int = 1,
        interOpThreads: Int = 1,
        allowSpinning: Bool = false,
        graphOptimization: GraphOptimization = .all
    ) {
        self.intraOpThreads = intraOpThreads
        self.interOpThreads = interOpThreads
        self.allowSpinning = allowSpinning
        self.graphOptimization = graphOptimization
    }
}

/// A loaded model. `OrtSession::Run` is thread-safe, so one session serves concurrent callers.
public final class ONNXRuntimeSession: @unchecked Sendable {
    public let inputs: [TensorInfo]
    public let outputs: [TensorInfo]

    private let environment: ONNXRuntimeEnvironment
    private let pointer: OpaquePointer
    private let memoryInfo: OpaquePointer
    private var api: UnsafePointer<OrtApi> { environment.api }

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

    /// Wraps each input's storage in an `OrtValue` without copying. The storage must stay pinned for the whole
    /// run, hence the recursion: every tensor's buffer is borrowed by a closure that encloses the run.
    private func withInputValues<Result>(
        _ tensors: [Tensor],
        index: Int,
        values: inout [OpaquePointer?],
        _ body: ([OpaquePointer?]) throws(ONNXRuntimeError) -> Result
    ) throws(ONNXRuntimeError) -> Result {
        guard index < tensors.count else { return try body(values) }
        let tensor = tensors[index]
        let shape = tensor.shape.map(Int64.init)
        var value: OpaquePointer?
        let status = tensor.values.withUnsafeBufferPointer { buffer in
            shape.withUnsafeBufferPointer { shapeBuffer in
                api.pointee.CreateTensorWithDataAsOrtValue(
                    memoryInfo,
                    UnsafeMutableRawPointer(mutating: buffer.baseAddress),
                    buffer.count * MemoryLayout<Float>.stride,
                    shapeBuffer.baseAddress,
                    shapeBuffer.count,
                    ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT,
                    &value
                )
            }
        }
        try check(api, status)
        values.append(value)
        // Keeps `tensor.values` alive and unmoved until the innermost closure (the run) has returned.
        return try withExtendedLifetime(tensor) { () throws(ONNXRuntimeError) -> Result in
            try withInputValues(tensors, index: index + 1, values: &values, body)
        }
    }

    private func runSession(
        inputNames: [String],
        inputValues: [OpaquePointer?],
        outputNames: [String]
    ) throws(ONNXRuntimeError) -> [String: Tensor] {
        var outputValues = [OpaquePointer?](repeating: nil, count: outputNames.count)
        defer { for value in outputValues where value != nil { api.pointee.ReleaseValue(value) } }

        let status = withCStrings(inputNames) { inputNamePointers in
            withCStrings(outputNames) { outputNamePointers in
                inputValues.withUnsafeBufferPointer { inputs in
                    outputValues.withUnsafeMutableBufferPointer { outputs in
                        api.pointee.Run(
                            pointer, nil,
                            inputNamePointers, inputs.baseAddress, inputs.count,
                            outputNamePointers, outputNames.count, outputs.baseAddress
                        )
                    }
                }
            }
        }
        try check(api, status)

        var results: [String: Tensor] = [:]
        for (name, value) in zip(outputNames, outputValues) {
            results[name] = try copyTensor(value, name: name)
        }
        return results
    }

    private func copyTensor(_ value: OpaquePointer?, name: String) throws(ONNXRuntimeError) -> Tensor {
        var info: OpaquePointer?
        try check(api, api.pointee.GetTensorTypeAndShape(value, &info))
        defer { api.pointee.ReleaseTensorTypeAndShapeInfo(info) }
        let (shape, type) = try shapeAndType(of: info, api: api)
        guard type == Int(ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT.rawValue) else {
            throw .unsupportedElementType(name: name, type: type)
        }
        var data: UnsafeMutableRawPointer?
        try check(api, api.pointee.GetTensorMutableData(value, &data))
        let count = shape.reduce(1, *)
        guard count > 0, let data else { return Tensor(shape: shape, values: []) }
        let floats = data.bindMemory(to: Float.self, capacity: count)
        return Tensor(shape: shape, values: Array(UnsafeBufferPointer(start: floats, count: count)))
    }
}

private enum Side { case input, output }

private func configure(
    _ sessionOptions: OpaquePointer?,
    with options: SessionOptions,
    api: UnsafePointer<OrtApi>
) throws(ONNXRuntimeError) {
    try check(api, api.pointee.SetIntraOpNumThreads(sessionOptions, Int32(options.intraOpThreads)))
    try check(api, api.pointee.SetInterOpNumThreads(sessionOptions, Int32(options.interOpThreads)))
    try check(
        api,
        api.pointee.AddSessionConfigEntry(
            sessionOptions, "session.intra_op.allow_spinning", options.allowSpinning ? "1" : "0")
    )
    let level: GraphOptimizationLevel =
        switch options.graphOptimization {
        case .disabled: ORT_DISABLE_ALL
        case .basic: ORT_ENABLE_BASIC
        case .extended: ORT_ENABLE_EXTENDED
        case .all: ORT_ENABLE_ALL
        }
    try check(api, api.pointee.SetSessionGraphOptimizationLevel(sessionOptions, level))
}

private func describe(_ session: OpaquePointer, api: UnsafePointer<OrtApi>, side: Side) throws(ONNXRuntimeError)
    -> [TensorInfo]
{
    var allocator: UnsafeMutablePointer<OrtAllocator>?
    try check(api, api.pointee.GetAllocatorWithDefaultOptions(&allocator))
    var count = 0
    switch side {
    case .input: try check(api, api.pointee.SessionGetInputCount(session, &count))
    case .output: try check(api, api.pointee.SessionGetOutputCount(session, &count))
    }
    var infos: [TensorInfo] = []
    for index in 0..<count {
        var rawName: UnsafeMutablePointer<CChar>?
        var typeInfo: OpaquePointer?
        switch side {
        case .input:
            try check(api, api.pointee.SessionGetInputName(session, index, allocator, &rawName))
            try check(api, api.pointee.SessionGetInputTypeInfo(session, index, &typeInfo))
        case .output:
            try check(api, api.pointee.SessionGetOutputName(session, index, allocator, &rawName))
            try check(api, api.pointee.SessionGetOutputTypeInfo(session, index, &typeInfo))
        }
        defer {
            api.pointee.ReleaseTypeInfo(typeInfo)
            _ = api.pointee.AllocatorFree(allocator, rawName)
        }
        let name = rawName.map { String(cString: $0) } ?? ""
        var tensorInfo: OpaquePointer?
        try check(api, api.pointee.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo))
        // CastTypeInfoToTensorInfo borrows from typeInfo: no release of its own.
        let (shape, type) = try shapeAndType(of: tensorInfo, api: api)
        infos.append(TensorInfo(name: name, shape: shape, elementType: type))
    }
    return infos
}

private func shapeAndType(of info: OpaquePointer?, api: UnsafePointer<OrtApi>) throws(ONNXRuntimeError) -> ([Int], Int)
{
    var rank = 0
    try check(api, api.pointee.GetDimensionsCount(info, &rank))
    var dimensions = [Int64](repeating: 0, count: rank)
    try check(api, api.pointee.GetDimensions(info, &dimensions, rank))
    var type = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED
    try check(api, api.pointee.GetTensorElementType(info, &type))
    return (dimensions.map(Int.init), Int(type.rawValue))
}

/// Lends C strings for every element of `strings` for the duration of `body`.
private func withCStrings<Result>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> Result) -> Result {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    return body(duplicates.map { UnsafePointer($0) })
}
