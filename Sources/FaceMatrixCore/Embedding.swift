/// A face embedding, L2-normalised so that the dot product of two embeddings is their cosine similarity.
public struct Embedding: Sendable, Equatable, Codable {
    /// The unit-length components, `dimension` of them.
    public let values: [Float]

    /// Normalises `raw` to unit length; returns nil for a zero or non-finite vector, which no real face gives.
    public init?(normalizing raw: [Float]) {
        var squares: Float = 0
        for value in raw { squares += value * value }
        let norm = squares.squareRoot()
        guard norm > 0, norm.isFinite else { return nil }
        self.values = raw.map { $0 / norm }
    }

    /// Wraps values that are already unit length (read back from storage); they are not checked.
    public init(unitValues: [Float]) {
        self.values = unitValues
    }

    /// The number of components, fixed by the model that made the embedding.
    public var dimension: Int { values.count }

    /// Cosine similarity in [-1, 1]. Embeddings of different dimensions come from different models and are not
    /// comparable: they get -1, the least similar, so that they never match (a stored row can never end the
    /// process, whatever an operator did to the database).
    public func similarity(to other: Embedding) -> Double {
        guard dimension == other.dimension else { return -1 }
        var dot: Float = 0
        for index in values.indices { dot += values[index] * other.values[index] }
        return Double(dot)
    }
}
