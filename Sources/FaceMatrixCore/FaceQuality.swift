import Foundation

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

    /// Creates a quality report from the pipeline's measurements (units as on each property).
    public init(
        confidence: Double,
        faceSize: Double,
        interocularDistance: Double,
        sharpness: Double,
        roll: Double,
        yaw: Double,
        frontalScore: Double
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
///
/// Each minimum is kept only where it pays (`facematrix evaluate` measures each one's cost and benefit, see the
/// README): on LFW, faces with a frontal score below 0.15 are recognised four times worse when enrolled anyway
/// (FRR 27 % against 7 %), while those between 0.15 and 0.3 do as well as anyone, so the gate sits at 0.15; the
/// sharpness minimum refused a few sharp-enough press photos and bought nothing measurable,
/// so it is off by default (0) and left for cameras prone to motion blur. Confidence, size and eye distance refuse
/// nothing on LFW's portraits; they keep out the faces too small or uncertain to align.
public struct QualityRequirements: Sendable, Equatable {
    /// Least detector face probability, 0–1.
    public var minimumConfidence: Double
    /// Least `FaceQuality.faceSize` (the face box's shorter side), in pixels of the uploaded photo.
    public var minimumFaceSize: Double
    /// Least distance between the eye centres, in pixels of the uploaded photo.
    public var minimumInterocularDistance: Double
    /// Variance of the Laplacian; 0 turns the check off.
    public var minimumSharpness: Double
    /// Least `FaceQuality.frontalScore`, 0–1.
    public var minimumFrontalScore: Double

    /// The defaults are the enrolment gate described above.
    public init(
        minimumConfidence: Double = 0.9,
        minimumFaceSize: Double = 40,
        minimumInterocularDistance: Double = 16,
        minimumSharpness: Double = 0,
        minimumFrontalScore: Double = 0.15
    ) {
        self.minimumConfidence = minimumConfidence
        self.minimumFaceSize = minimumFaceSize
        self.minimumInterocularDistance = minimumInterocularDistance
        self.minimumSharpness = minimumSharpness
        self.minimumFrontalScore = minimumFrontalScore
    }

    /// What the person should change, with the measurement behind it, for every minimum `quality` misses;
    /// empty when it passes. For example "face the camera (frontal score 0.12 is below 0.15)".
    public func shortfalls(of quality: FaceQuality) -> [String] {
        var reasons: [String] = []
        func check(_ value: Double, _ minimum: Double, _ advice: String, _ what: String) {
            if value < minimum {
                let (shown, limit) = distinct(value, minimum)
                reasons.append("\(advice) (\(what) \(shown) is below \(limit))")
            }
        }
        check(quality.frontalScore, minimumFrontalScore, "face the camera", "frontal score")
        check(quality.faceSize, minimumFaceSize, "move closer to the camera", "face size in pixels")
        check(
            quality.interocularDistance,
            minimumInterocularDistance,
            "move closer to the camera",
            "eye distance in pixels"
        )
        check(quality.sharpness, minimumSharpness, "hold still and use a sharp photo", "sharpness")
        check(
            quality.confidence,
            minimumConfidence,
            "show the whole face in good light, nothing covering it",
            "detection confidence"
        )
        return reasons
    }
}

/// Both numbers with two decimals, or more where two would print a value below the minimum as equal to it
/// ("0.15 is below 0.15" for 0.1457).
private func distinct(_ value: Double, _ minimum: Double) -> (String, String) {
    for decimals in 2...6 {
        let pair = (formatted(value, decimals: decimals), formatted(minimum, decimals: decimals))
        if pair.0 != pair.1 { return pair }
    }
    return (String(value), String(minimum))
}

private func formatted(_ value: Double, decimals: Int) -> String {
    let scale = pow(10, Double(decimals))
    let rounded = (value * scale).rounded() / scale
    return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int(rounded)) : String(rounded)
}
