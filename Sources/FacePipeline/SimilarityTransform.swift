public import FaceMatrixCore

/// A rotation, uniform scale and translation: (x, y) ↦ (a·x − b·y + tx, b·x + a·y + ty).
public struct SimilarityTransform: Sendable, Equatable {
    /// s·cos θ, for scale s and rotation θ.
    public var a: Double
    /// s·sin θ, for scale s and rotation θ.
    public var b: Double
    /// Horizontal translation, in target pixels.
    public var tx: Double
    /// Vertical translation, in target pixels.
    public var ty: Double

    /// Creates the transform (x, y) ↦ (a·x − b·y + tx, b·x + a·y + ty).
    public init(a: Double, b: Double, tx: Double, ty: Double) {
        self.a = a
        self.b = b
        self.tx = tx
        self.ty = ty
    }

    /// The least-squares similarity mapping `source` points onto `target` points (Umeyama's method, 1991, without
    /// reflection). Written with complex numbers, target ≈ z·source + t, whose solution is closed-form:
    /// z = Σ (t̃ᵢ · conj(s̃ᵢ)) / Σ |s̃ᵢ|² over centred points. Nil when the source points all coincide.
    ///
    /// - Precondition: `source` and `target` have the same, non-zero number of points.
    public static func estimate(from source: [Point], to target: [Point]) -> SimilarityTransform? {
        precondition(source.count == target.count && !source.isEmpty)
        let count = Double(source.count)
        let sourceMean = Point(x: source.map(\.x).reduce(0, +) / count, y: source.map(\.y).reduce(0, +) / count)
        let targetMean = Point(x: target.map(\.x).reduce(0, +) / count, y: target.map(\.y).reduce(0, +) / count)
        var real = 0.0
        var imaginary = 0.0
        var variance = 0.0
        for (s, t) in zip(source, target) {
            let sx = s.x - sourceMean.x
            let sy = s.y - sourceMean.y
            let txc = t.x - targetMean.x
            let tyc = t.y - targetMean.y
            real += txc * sx + tyc * sy
            imaginary += tyc * sx - txc * sy
            variance += sx * sx + sy * sy
        }
        guard variance > 1e-12 else { return nil }
        let a = real / variance
        let b = imaginary / variance
        return SimilarityTransform(
            a: a,
            b: b,
            tx: targetMean.x - (a * sourceMean.x - b * sourceMean.y),
            ty: targetMean.y - (b * sourceMean.x + a * sourceMean.y)
        )
    }

    /// Maps a point from source to target coordinates.
    public func apply(_ point: Point) -> Point {
        Point(x: a * point.x - b * point.y + tx, y: b * point.x + a * point.y + ty)
    }

    /// The uniform scale √(a² + b²): target pixels per source pixel.
    public var scale: Double { (a * a + b * b).squareRoot() }

    /// The inverse mapping; a similarity's inverse is again a similarity.
    public var inverse: SimilarityTransform {
        let norm = a * a + b * b
        let ia = a / norm
        let ib = -b / norm
        return SimilarityTransform(a: ia, b: ib, tx: -(ia * tx - ib * ty), ty: -(ib * tx + ia * ty))
    }
}
