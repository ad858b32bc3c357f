public import FaceInference
public import FaceMatrixCore

/// Turns aligned faces into L2-normalised embeddings with the embedding network, several faces per run.
public struct FaceEmbedder: Sendable {
    public let backend: any InferenceBackend
    public let normalization: ChannelNormalization
    public let dimension: Int
    public let inputName: String
    public let outputName: String

    public init(
        backend: any InferenceBackend, normalization: ChannelNormalization, dimension: Int,
        inputName: String = "input", outputName: String = "embedding"
    ) {
        self.backend = backend
        self.normalization = normalization
        self.dimension = dimension
        self.inputName = inputName
        self.outputName = outputName
    }

    public func embed(_ faces: [AlignedFace]) async throws -> [Embedding] {
        guard let first = faces.first else { return [] }
        let plane = first.width * first.height
        var input = Tensor(zeros: [faces.count, 3, first.height, first.width])
        input.values.withUnsafeMutableBufferPointer { target in
            for (index, face) in faces.enumerated() {
                precondition(face.width == first.width && face.height == first.height)
                let base = index * 3 * plane
                for channel in 0..<3 {
                    let source = normalization.sourceChannels[channel]
                    let mean = normalization.mean[channel]
                    let scale = normalization.scale[channel]
                    for pixel in 0..<plane {
                        target[base + channel * plane + pixel] = (face.pixels[pixel * 3 + source] - mean) * scale
                    }
                }
            }
        }
        let outputs = try await backend.run(model: "embedder", inputs: [inputName: input], outputs: [outputName])
        let output = try outputs.output(outputName, of: "embedder")
        guard output.values.count == faces.count * dimension else {
            throw InferenceError.unexpectedOutput(
                model: "embedder",
                reason: "\(output.values.count) values for \(faces.count) faces of \(dimension)")
        }
        return try (0..<faces.count).map { index in
            let raw = Array(output.values[(index * dimension)..<((index + 1) * dimension)])
            guard let embedding = Embedding(normalizing: raw) else {
                throw InferenceError.unexpectedOutput(model: "embedder", reason: "a zero or non-finite vector")
            }
            return embedding
        }
    }
}
