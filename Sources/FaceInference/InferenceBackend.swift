public import FaceMatrixCore

/// Runs the pipeline's networks. The pipeline names a network by its role ("pnet", "rnet", "onet",
/// "embedder"); each backend knows where that network lives (a session in this process, a model on a Triton server).
public protocol InferenceBackend: Sendable {
    /// What runs the models, e.g. "onnxruntime 1.32.0", for logs and the readiness report.
    var runtimeDescription: String { get }

    /// Runs the network registered under `model` on float32 inputs and returns the requested outputs.
    func run(model: String, inputs: [String: Tensor], outputs: [String]) async throws -> [String: Tensor]

    /// Throws when the backend cannot serve right now (a remote server down, a model not loaded).
    func checkReady() async throws -> String
}

public enum InferenceError: Error, Equatable, CustomStringConvertible {
    case unknownModel(String)
    case missingOutput(model: String, output: String)
    /// The runtime cannot serve now (a remote server down, a model not loaded): worth a retry.
    case unavailable(String)
    /// The network answered something its manifest rules out (a wrong size, a zero vector): a broken model,
    /// never worth a retry.
    case unexpectedOutput(model: String, reason: String)

    public var description: String {
        switch self {
        case .unknownModel(let model): "no model is registered as '\(model)'"
        case .missingOutput(let model, let output): "model '\(model)' returned no output '\(output)'"
        case .unavailable(let reason): "inference is unavailable: \(reason)"
        case .unexpectedOutput(let model, let reason): "model '\(model)' broke its contract: \(reason)"
        }
    }
}

extension [String: Tensor] {
    /// The named output, or an error naming the model and the output.
    public func output(_ name: String, of model: String) throws(InferenceError) -> Tensor {
        guard let tensor = self[name] else { throw .missingOutput(model: model, output: name) }
        return tensor
    }
}
