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

    public var runtimeDescription: String { "onnxruntime \(ONNXRuntimeEnvironment.version)" }

    /// Loads every model once, at start. `models` maps a role ("pnet", "embedder", …) to an .onnx path.
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

    public func run(model: String, inputs: [String: Tensor], outputs: [String]) async throws -> [String: Tensor] {
        guard let session = sessions[model] else { throw InferenceError.unknownModel(model) }
        return try await threadPool.runIfActive {
            try session.run(inputs, outputNames: outputs)
        }
    }

    public func checkReady() async throws -> String { runtimeDescription }
}
