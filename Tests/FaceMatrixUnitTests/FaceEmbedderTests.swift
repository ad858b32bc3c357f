import FaceInference
import FaceMatrixCore
import Testing

@testable import FacePipeline

/// What the embedder makes of a network that breaks its manifest's contract.
@Suite struct FaceEmbedderTests {
    /// Answers every run with the given values, whatever was asked.
    struct FixedOutput: InferenceBackend {
        let values: [Float]
        var runtimeDescription: String { "fixed" }
        func run(model: String, inputs: [String: Tensor], outputs: [String]) async throws -> [String: Tensor] {
            ["embedding": Tensor(shape: [1, values.count], values: values)]
        }
        func checkReady() async throws -> String { "ready" }
    }

    static func embed(_ values: [Float]) async throws -> [Embedding] {
        let embedder = FaceEmbedder(
            backend: FixedOutput(values: values),
            normalization: ChannelNormalization(sourceChannels: [0, 1, 2], mean: [0, 0, 0], scale: [1, 1, 1]),
            dimension: 4
        )
        return try await embedder.embed([AlignedFace(width: 2, height: 2, pixels: Array(repeating: 0.5, count: 12))])
    }

    @Test func aWellFormedOutputIsNormalized() async throws {
        let embeddings = try await Self.embed([3, 0, 4, 0])
        #expect(embeddings.map(\.values) == [[0.6, 0, 0.8, 0]])
    }

    /// A broken model is not an outage: a contract violation, never "unavailable" (which would ask for a retry).
    @Test(arguments: [[Float]([1, 2, 3]), [0, 0, 0, 0], [1, .nan, 0, 0], [1, 0, 0, 0, 1]])
    func aContractViolationIsNamedAsOne(values: [Float]) async {
        await #expect {
            _ = try await Self.embed(values)
        } throws: { error in
            guard case .unexpectedOutput(model: "embedder", _) = error as? InferenceError else { return false }
            return true
        }
    }
}
