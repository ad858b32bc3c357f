public import FaceMatrixCore
public import FacePipeline

/// Anything that turns photo bytes into analysed faces: the face pipeline, or a stand-in in tests.
public protocol FaceAnalyzer: Sendable {
    /// The embedder whose embeddings `analyze` makes; the store compares them only with faces of this model.
    var model: ModelIdentity { get }
    /// Decodes the photo and finds its faces, the main face first, embedding those that `embedding` asks for.
    ///
    /// - Throws: `FaceMatrixError.invalidImage` (400/602) or `.imageTooLarge` (413/603) for bytes that cannot be used;
    ///   a photo without faces is not an error (the analysis has none).
    func analyze(_ bytes: [UInt8], embedding: FaceAnalysisPipeline.EmbeddingScope) async throws -> FaceAnalysis
}

extension FaceAnalysisPipeline: FaceAnalyzer {
    /// The embedder's name and version from its manifest, and the dimension of its embeddings.
    public var model: ModelIdentity {
        ModelIdentity(name: modelName, version: modelVersion, dimension: embedder.dimension)
    }
}
