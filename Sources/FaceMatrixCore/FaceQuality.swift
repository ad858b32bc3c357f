/// Signals of how usable a face is for recognition, reported to callers and enforced at enrollment.
public struct FaceQuality: Codable, Sendable, Equatable {
    /// The detector's face probability, 0–1.
    public var confidence: Double
    /// The shorter side of the face box, in pixels of the uploaded photo.
    public var faceSize: Double
    /// Distance between the eye centres, in pixels of the uploaded photo.
    public var interocularDistance: Double
    /// Variance of the Laplacian of the aligned face's grey levels: low for blurred faces.
    public var sharpness: Double
    /// Head rotation in the image plane, degrees (0 when the eyes are level).
    public var roll: Double
    /// Estimated head turn left or right, degrees (0 when facing the camera).
    public var yaw: Double
    /// 1 for a face looking straight at the camera, falling towards 0 as the head turns away.
    public var frontalScore: Double

    enum CodingKeys: String, CodingKey {
        case confidence
        case faceSize = "face_size"
        case interocularDistance = "interocular_distance"
        case sharpness, roll, yaw
        case frontalScore = "frontal_score"
    }

    public init(
        confidence: Double, faceSize: Double, interocularDistance: Double, sharpness: Double, roll: Double,
        yaw: Double, frontalScore: Double
    ) {
        self.confidence = confidence
        self.faceSize = faceSize
        self.interocularDistance = interocularDistance
        self.sharpness = sharpness
        self.roll = roll
        self.yaw = yaw
        self.frontalScore = frontalScore
    }
}

/// The least quality a face must have to be enrolled.
public struct QualityRequirements: Sendable, Equatable {
    public var minimumConfidence: Double
    public var minimumFaceSize: Double
    public var minimumInterocularDistance: Double
    public var minimumSharpness: Double
    public var minimumFrontalScore: Double

    public init(
        minimumConfidence: Double = 0.9,
        minimumFaceSize: Double = 40,
        minimumInterocularDistance: Double = 16,
        minimumSharpness: Double = 10,
        minimumFrontalScore: Double = 0.3
    ) {
        self.minimumConfidence = minimumConfidence
        self.minimumFaceSize = minimumFaceSize
        self.minimumInterocularDistance = minimumInterocularDistance
        self.minimumSharpness = minimumSharpness
        self.minimumFrontalScore = minimumFrontalScore
    }

    /// Human-readable reasons why `quality` falls short; empty when it passes.
    public func shortfalls(of quality: FaceQuality) -> [String] {
        var reasons: [String] = []
        func check(_ value: Double, _ minimum: Double, _ what: String) {
            if value < minimum { reasons.append("\(what) \(formatted(value)) is below \(formatted(minimum))") }
        }
        check(quality.confidence, minimumConfidence, "detection confidence")
        check(quality.faceSize, minimumFaceSize, "face size (px)")
        check(quality.interocularDistance, minimumInterocularDistance, "eye distance (px)")
        check(quality.sharpness, minimumSharpness, "sharpness")
        check(quality.frontalScore, minimumFrontalScore, "frontal score")
        return reasons
    }
}

private func formatted(_ value: Double) -> String {
    let rounded = (value * 100).rounded() / 100
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
}
