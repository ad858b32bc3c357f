public import FaceInference
public import FaceMatrixCore
import NIOPosix

/// Runs models in this process on OpenVINO's CPU plugin, through its C API.
///
/// Measured on this project's networks (one thread, the same .onnx files), OpenVINO runs the embedder 2.6× and
/// the MTCNN stages 2.2–2.6× faster than ONNX Runtime 1.32. `ov_infer_request_infer` blocks its thread, so runs
/// happen on a thread pool of their own, never on the HTTP event loops or Swift's cooperative threads.
public final class OpenVINOBackend: InferenceBackend {
    private let models: [String: OpenVINOModel]
    private let threadPool: NIOThreadPool

    /// "openvino" and the loaded library's version.
    public var runtimeDescription: String { "openvino \(OpenVINORuntime.version)" }

    /// Reads and compiles every model once, at start. `models` maps a role ("pnet", "embedder", …) to an .onnx path.
    ///
    /// - Parameters:
    ///   - threadsPerRun: Threads one network run may use (at least 1).
    ///   - concurrentRuns: Threads in the pool and streams per compiled model, hence the most networks running at
    ///     once (at least 1).
    /// - Throws: `OpenVINOError` from the first model that fails to read or compile.
    public init(models: [String: String], threadsPerRun: Int, concurrentRuns: Int) throws(OpenVINOError) {
        let runtime = try OpenVINORuntime()
        let options = OpenVINOOptions(threadsPerRun: threadsPerRun, streams: concurrentRuns)
        var compiled: [String: OpenVINOModel] = [:]
        for (role, path) in models {
            compiled[role] = try OpenVINOModel(runtime: runtime, modelPath: path, options: options)
        }
        self.models = compiled
        self.threadPool = NIOThreadPool(numberOfThreads: max(1, concurrentRuns))
        threadPool.start()
    }

    deinit {
        threadPool.shutdownGracefully { _ in }
    }

    /// Runs the role's compiled model on the thread pool.
    ///
    /// - Throws: `InferenceError.unknownModel` for a role with no model, `OpenVINOError` when the run fails,
    ///   `CancellationError` when the task is cancelled before the run starts, and NIO's
    ///   `NIOThreadPoolError.ThreadPoolInactive` once the pool has shut down.
    public func run(model: String, inputs: [String: Tensor], outputs: [String]) async throws -> [String: Tensor] {
        guard let compiled = models[model] else { throw InferenceError.unknownModel(model) }
        return try await threadPool.runIfActive {
            try compiled.run(inputs, outputNames: outputs)
        }
    }

    /// Never throws: the models were compiled at start and stay compiled.
    ///
    /// - Returns: `runtimeDescription` and the roles it serves, e.g. "openvino 2026.4.1: embedder, onet, pnet, rnet".
    public func checkReady() async throws -> String {
        "\(runtimeDescription): \(models.keys.sorted().joined(separator: ", "))"
    }
}
