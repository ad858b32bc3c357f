public import FaceMatrixCore
public import FacePipeline

/// Anything that turns photo bytes into analysed faces: the face pipeline, or a stand-in in tests.
public protocol FaceAnalyzer: Sendable {
    var model: ModelIdentity { get }
    func analyze(_ bytes: [UInt8], embedding: FacePipeline.EmbeddingScope) async throws -> FaceAnalysis
}

extension FacePipeline: FaceAnalyzer {
    public var model: ModelIdentity {
        ModelIdentity(name: modelName, version: modelVersion, dimension: embedder.dimension)
    }
}
