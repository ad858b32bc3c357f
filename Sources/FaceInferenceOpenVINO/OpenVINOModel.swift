import COpenVINO
public import FaceMatrixCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How a model is compiled for the CPU plugin.
public struct OpenVINOOptions: Sendable, Equatable {
    /// Threads one inference may use (`INFERENCE_NUM_THREADS` per stream).
    public var threadsPerRun: Int
    /// Inferences that may run at the same time (`NUM_STREAMS`). With one stream, concurrent callers queue behind
    /// each other inside the plugin: two callers on one stream measured 146 embeddings/s here against 271/s on
    /// two streams.
    public var streams: Int

    /// One thread per run and one stream by default.
    public init(threadsPerRun: Int = 1, streams: Int = 1) {
        self.threadsPerRun = max(1, threadsPerRun)
        self.streams = max(1, streams)
    }

    /// The CPU plugin's properties. Precision is pinned to f32: the plugin's default on CPUs with AMX/AVX-512 BF16
    /// is bf16, which moved the embedder's output to a cosine of 0.992 against f32, too far for stored galleries.
    /// Pinning is off because the machine is shared with the database and the HTTP threads.
    var properties: [(key: String, value: String)] {
        [
            ("INFERENCE_PRECISION_HINT", "f32"),
            ("NUM_STREAMS", String(streams)),
            ("INFERENCE_NUM_THREADS", String(streams * threadsPerRun)),
            ("ENABLE_CPU_PINNING", "NO"),
        ]
    }
}

/// A model compiled for the CPU plugin, with a pool of infer requests so concurrent callers never share one
/// (an `ov_infer_request_t` is not thread-safe; the compiled model is).
public final class OpenVINOModel: @unchecked Sendable {
    /// The model's declared inputs, in graph order; `-1` marks a dynamic axis.
    public let inputs: [TensorInfo]
    /// The model's declared outputs, in graph order; `-1` marks a dynamic axis.
    public let outputs: [TensorInfo]

    private let compiled: OpaquePointer
    private let idleRequests = Mutex<[InferRequest]>([])

    /// Reads an .onnx (or IR .xml) file and compiles it for the CPU.
    ///
    /// - Throws: `OpenVINOError.runtime` when OpenVINO cannot read or compile the model.
    public init(runtime: OpenVINORuntime, modelPath: String, options: OpenVINOOptions) throws(OpenVINOError) {
        var model: OpaquePointer?
        try check(ov_core_read_model(runtime.pointer, modelPath, nil, &model), "ov_core_read_model(\(modelPath))")
        guard let model else { throw .runtime(call: "ov_core_read_model", status: -1, message: "no model returned") }
        defer { ov_model_free(model) }
        inputs = try describePorts(of: model, side: .input)
        outputs = try describePorts(of: model, side: .output)
        compiled = try compile(model, on: runtime, options: options)
    }

    deinit {
        for request in idleRequests.withLock({ $0 }) { ov_infer_request_free(request.pointer) }
        ov_compiled_model_free(compiled)
    }

    /// Runs the model on float32 inputs and returns the requested outputs.
    ///
    /// Blocks the calling thread until the inference is done. Inputs are copied into OpenVINO's tensors and
    /// outputs out of them.
    ///
    /// - Parameters:
    ///   - feeds: A tensor for every input, by name; each one's `values.count` must equal the product of its shape.
    ///   - outputNames: The outputs wanted.
    /// - Returns: The requested outputs by name, with the shapes the run produced.
    /// - Throws: `OpenVINOError.unknownInput`, `.missingInput`, `.unknownOutput`, `.shapeMismatch` for feeds or
    ///   names that do not fit the model, `.unsupportedElementType` for an output that is not float32, and
    ///   `.runtime` when inference fails (for example a shape the model cannot take).
    public func run(_ feeds: [String: Tensor], outputNames: [String]) throws(OpenVINOError) -> [String: Tensor] {
        try validate(feeds, outputNames: outputNames)
        let request = try checkOutRequest()
        defer { idleRequests.withLock { $0.append(request) } }
        var inputTensors: [OpaquePointer] = []
        defer { inputTensors.forEach { ov_tensor_free($0) } }
        for (index, info) in inputs.enumerated() {
            guard let feed = feeds[info.name] else { throw .missingInput(info.name) }
            let tensor = try makeTensor(feed)
            inputTensors.append(tensor)
            try check(
                ov_infer_request_set_input_tensor_by_index(request.pointer, index, tensor),
                "ov_infer_request_set_input_tensor_by_index"
            )
        }
        try check(ov_infer_request_infer(request.pointer), "ov_infer_request_infer")
        var results: [String: Tensor] = [:]
        for (index, info) in outputs.enumerated() where outputNames.contains(info.name) {
            results[info.name] = try outputTensor(of: request, index: index, name: info.name)
        }
        return results
    }

    private func validate(_ feeds: [String: Tensor], outputNames: [String]) throws(OpenVINOError) {
        for name in feeds.keys where !inputs.contains(where: { $0.name == name }) { throw .unknownInput(name) }
        for name in outputNames where !outputs.contains(where: { $0.name == name }) { throw .unknownOutput(name) }
        for (name, tensor) in feeds {
            let positive = tensor.shape.allSatisfy { $0 > 0 }
            guard positive, tensor.values.count == tensor.elementCount else {
                throw .shapeMismatch(name: name, shape: tensor.shape, elementCount: tensor.values.count)
            }
        }
    }

    private func checkOutRequest() throws(OpenVINOError) -> InferRequest {
        if let idle = idleRequests.withLock({ $0.popLast() }) { return idle }
        var request: OpaquePointer?
        try check(
            ov_compiled_model_create_infer_request(compiled, &request),
            "ov_compiled_model_create_infer_request"
        )
        guard let request else {
            throw .runtime(call: "ov_compiled_model_create_infer_request", status: -1, message: "no request returned")
        }
        return InferRequest(pointer: request)
    }
}

/// An infer request owned by one caller at a time: handed between threads only through the model's lock.
private struct InferRequest: @unchecked Sendable {
    let pointer: OpaquePointer
}

private func compile(_ model: OpaquePointer, on runtime: OpenVINORuntime, options: OpenVINOOptions)
    throws(OpenVINOError) -> OpaquePointer
{
    let strings = options.properties.flatMap { [strdup($0.key), strdup($0.value)] }
    defer { strings.forEach { free($0) } }
    var properties: [ov_property_t] = []
    for index in stride(from: 0, to: strings.count - 1, by: 2) {
        guard let key = strings[index], let value = strings[index + 1] else {
            throw .runtime(call: "strdup", status: -1, message: "out of memory")
        }
        properties.append(ov_property_t(key: key, value: UnsafeRawPointer(value)))
    }
    var compiled: OpaquePointer?
    try check(
        ov_core_compile_model_props(runtime.pointer, model, "CPU", properties.count, &properties, &compiled),
        "ov_core_compile_model_props"
    )
    guard let compiled else {
        throw .runtime(call: "ov_core_compile_model_props", status: -1, message: "no compiled model returned")
    }
    return compiled
}

private func makeTensor(_ feed: Tensor) throws(OpenVINOError) -> OpaquePointer {
    var shape = ov_shape_t()
    let dims = feed.shape.map { Int64($0) }
    try check(ov_shape_create(Int64(dims.count), dims, &shape), "ov_shape_create")
    defer { ov_shape_free(&shape) }
    var tensor: OpaquePointer?
    try check(ov_tensor_create(F32, shape, &tensor), "ov_tensor_create")
    guard let tensor else { throw .runtime(call: "ov_tensor_create", status: -1, message: "no tensor returned") }
    var data: UnsafeMutableRawPointer?
    let status = ov_tensor_data(tensor, &data)
    guard status == OK, let data else {
        ov_tensor_free(tensor)
        try check(status, "ov_tensor_data")
        throw .runtime(call: "ov_tensor_data", status: -1, message: "no data returned")
    }
    feed.values.withUnsafeBytes { bytes in
        if let source = bytes.baseAddress { data.copyMemory(from: source, byteCount: bytes.count) }
    }
    return tensor
}

private func outputTensor(of request: InferRequest, index: Int, name: String) throws(OpenVINOError) -> Tensor {
    var tensor: OpaquePointer?
    try check(
        ov_infer_request_get_output_tensor_by_index(request.pointer, index, &tensor),
        "ov_infer_request_get_output_tensor_by_index"
    )
    guard let tensor else { throw .runtime(call: "get_output_tensor", status: -1, message: "no tensor returned") }
    defer { ov_tensor_free(tensor) }
    var type = ov_element_type_e(0)
    try check(ov_tensor_get_element_type(tensor, &type), "ov_tensor_get_element_type")
    guard type == F32 else { throw .unsupportedElementType(name: name) }
    var shape = ov_shape_t()
    try check(ov_tensor_get_shape(tensor, &shape), "ov_tensor_get_shape")
    defer { ov_shape_free(&shape) }
    let dims = (0..<Int(shape.rank)).map { Int(shape.dims[$0]) }
    var count = 0
    try check(ov_tensor_get_size(tensor, &count), "ov_tensor_get_size")
    var data: UnsafeMutableRawPointer?
    try check(ov_tensor_data(tensor, &data), "ov_tensor_data")
    guard let data else { return Tensor(shape: dims, values: []) }
    let values = Array(UnsafeBufferPointer(start: data.assumingMemoryBound(to: Float.self), count: count))
    return Tensor(shape: dims, values: values)
}
