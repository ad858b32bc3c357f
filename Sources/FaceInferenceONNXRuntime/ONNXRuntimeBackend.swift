public import FaceInference
public import FaceMatrixCore
import NIOPosix
public import ONNXRuntime

/// Runs models in this process on ONNX Runtime.
///
/// `OrtSession.Run` blocks its thread until the network is done, so runs happen on a thread pool of their own,
/// never on the HTTP event loops or Swift's cooperative threads. The pool's size bounds how many networks run at
/// once.
public final class ONNXRuntimeBackend: InferenceBackend {
    private let sessions: [String: ONNXRuntimeSession]
    private let threadPool: NIOThreadPool

    /// "onnxruntime" and the loaded library's version.
    public var runtimeDescription: String { "onnxruntime \(ONNXRuntimeEnvironment.version)" }

    /// Loads every model once, at start. `models` maps a role ("pnet", "embedder", …) to an .onnx path.
    ///
    /// - Parameters:
    ///   - options: Applied to every session.
    ///   - concurrentRuns: Threads in the pool, hence the most networks running at once (at least 1).
    /// - Throws: `ONNXRuntimeError` from the first model that fails to load.
    public init(
        environment: ONNXRuntimeEnvironment,
        models: [String: String],
        options: SessionOptions,
        concurrentRuns: Int
    ) throws(ONNXRuntimeError) {
        var sessions: [String: ONNXRuntimeSession] = [:]
        for (role, path) in models {
            sessions[role] = try ONNXRuntimeSession(environment: environment, modelPath: path, options: options)
        }
        self.sessions = sessions
        self.threadPool = NIOThreadPool(numberOfThreads: max(1, concurrentRuns))
        threadPool.start()
    }

    deinit {
        threadPool.shutdownGracefully { _ in }
    }

    /// Runs the role's session on the thread pool.
    ///
    /// - Throws: `InferenceError.unknownModel` for a role with no session, `ONNXRuntimeError` when the run fails,
    ///   `CancellationError` when the task is cancelled before the run starts, and NIO's
    ///   `NIOThreadPoolError.ThreadPoolInactive` once the pool has shut down.
    public func run(model: String, inputs: [String: Tensor], outputs: [String]) async throws -> [String: Tensor] {
        guard let session = sessions[model] else { throw InferenceError.unknownModel(model) }
        return try await threadPool.runIfActive {
            try session.run(inputs, outputNames: outputs)
        }
    }

    /// Never throws: the sessions were loaded at start and stay loaded.
    ///
    /// - Returns: `runtimeDescription` and the roles it serves, e.g. "onnxruntime 1.32.0: embedder, onet, pnet, rnet".
    public func checkReady() async throws -> String {
        "\(runtimeDescription): \(sessions.keys.sorted().joined(separator: ", "))"
    }
}
