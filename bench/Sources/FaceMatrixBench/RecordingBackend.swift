import FaceInference
import FaceMatrixCore
import Synchronization

/// Passes every network run through to a real backend and keeps the tensors, so that the same runs can later be
/// timed on ONNX Runtime alone.
final class RecordingBackend: InferenceBackend {
    struct Call: Sendable {
        let model: String
        let inputs: [String: Tensor]
        let outputs: [String]
    }

    let wrapped: any InferenceBackend
    private let calls = Mutex<[Call]>([])

    init(wrapping wrapped: any InferenceBackend) {
        self.wrapped = wrapped
    }

    var runtimeDescription: String { wrapped.runtimeDescription }

    func run(model: String, inputs: [String: Tensor], outputs: [String]) async throws -> [String: Tensor] {
        calls.withLock { $0.append(Call(model: model, inputs: inputs, outputs: outputs)) }
        return try await wrapped.run(model: model, inputs: inputs, outputs: outputs)
    }

    func checkReady() async throws -> String { try await wrapped.checkReady() }

    /// The calls recorded since the last time this was asked.
    func takeCalls() -> [Call] {
        calls.withLock { calls in
            defer { calls = [] }
            return calls
        }
    }
}
