public import FaceInference
public import FaceMatrixCore

/// Turns aligned faces into L2-normalised embeddings with the embedding network, several faces per run.
public struct FaceEmbedder: Sendable {
    /// Runs the network registered as "embedder".
    public let backend: any InferenceBackend
    /// Channel order, mean and scale that turn the crops' 0…255 RGB into the network's input values.
    public let normalization: ChannelNormalization
    /// Length of one embedding: the manifest's `embedding.size`.
    public let dimension: Int
    /// Name of the network's input tensor, [N, 3, H, W] float32 (NCHW).
    public let inputName: String
    /// Name of the network's output tensor, [N, `dimension`] float32, not yet normalised.
    public let outputName: String

    /// Creates an embedder for a network with the given tensor names and embedding length.
    public init(
        backend: any InferenceBackend,
        normalization: ChannelNormalization,
        dimension: Int,
        inputName: String = "input",
        outputName: String = "embedding"
    ) {
        self.backend = backend
        self.normalization = normalization
        self.dimension = dimension
        self.inputName = inputName
        self.outputName = outputName
    }

    /// Embeds the faces in one batched run.
    ///
    /// The crops become one [N, 3, H, W] float32 NCHW tensor (channel order, mean and scale from `normalization`);
    /// each output row of `dimension` values is then L2-normalised.
    ///
    /// - Parameter faces: Crops of one size; with none, the network is not run.
    /// - Returns: One unit-length embedding per face, in order.
    /// - Throws: `InferenceError.missingOutput` when the output is absent, `InferenceError.unexpectedOutput` when it
    ///   does not hold N × `dimension` values or a row is zero or not finite, and whatever the backend throws.
    /// - Precondition: All faces have the same width and height.
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
                reason: "\(output.values.count) values for \(faces.count) faces of \(dimension)"
            )
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
