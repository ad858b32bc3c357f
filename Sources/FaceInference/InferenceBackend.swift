public import FaceMatrixCore

/// Runs the pipeline's networks. The pipeline names a network by its role ("pnet", "rnet", "onet",
/// "embedder"); each backend knows where that network lives (a session in this process, a model on a Triton server).
public protocol InferenceBackend: Sendable {
    /// What runs the models, e.g. "onnxruntime 1.32.0", for logs and the readiness report.
    var runtimeDescription: String { get }

    /// Runs the network registered under `model` on float32 inputs and returns the requested outputs.
    ///
    /// - Parameters:
    ///   - model: The pipeline role: "pnet", "rnet", "onet" or "embedder".
    ///   - inputs: Input tensors by the network's input names.
    ///   - outputs: The names of the outputs wanted.
    /// - Returns: Output tensors by name.
    /// - Throws: `InferenceError.unknownModel` for an unregistered role, `.unavailable` when the runtime cannot
    ///   serve now, or the runtime's own error (for example `ONNXRuntimeError`) when the run fails.
    func run(model: String, inputs: [String: Tensor], outputs: [String]) async throws -> [String: Tensor]

    /// Throws when the backend cannot serve right now (a remote server down, a model not loaded).
    ///
    /// - Returns: A short description of what serves, for the readiness report.
    func checkReady() async throws -> String

    /// Called once at start, before the first run: a remote backend checks that it can reach its server and that
    /// each model there is the one the manifests describe.
    ///
    /// - Throws: an error naming the model and the mismatch, or `InferenceError.unavailable` when the server
    ///   cannot be reached; the service then refuses to start.
    func prepare() async throws
}

extension InferenceBackend {
    /// In-process backends load and check their models when they are built: nothing is left to do.
    public func prepare() async throws {}
}

/// A network could not be run or answered something the pipeline cannot use.
public enum InferenceError: Error, Equatable, CustomStringConvertible {
    /// No network is registered under this role.
    case unknownModel(String)
    /// The network's answer lacks an output the pipeline needs.
    case missingOutput(model: String, output: String)
    /// The runtime cannot serve now (a remote server down, a model not loaded): worth a retry.
    case unavailable(String)
    /// The runtime refused the inputs (a shape or type the deployed model does not take): the pipeline and the
    /// deployed model disagree, never worth a retry.
    case refused(model: String, reason: String)
    /// The network answered something its manifest rules out (a wrong size, a zero vector): a broken model,
    /// never worth a retry.
    case unexpectedOutput(model: String, reason: String)

    /// A one-line message for logs.
    public var description: String {
        switch self {
        case .unknownModel(let model): "no model is registered as '\(model)'"
        case .missingOutput(let model, let output): "model '\(model)' returned no output '\(output)'"
        case .unavailable(let reason): "inference is unavailable: \(reason)"
        case .refused(let model, let reason): "model '\(model)' refused its inputs: \(reason)"
        case .unexpectedOutput(let model, let reason): "model '\(model)' broke its contract: \(reason)"
        }
    }
}

extension [String: Tensor] {
    /// The named output, or an error naming the model and the output.
    ///
    /// - Throws: `InferenceError.missingOutput` when there is no output called `name`.
    public func output(_ name: String, of model: String) throws(InferenceError) -> Tensor {
        guard let tensor = self[name] else { throw .missingOutput(model: model, output: name) }
        return tensor
    }
}
