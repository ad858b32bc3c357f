public import FaceMatrixCore
import Foundation

/// Computes the quality signals of a detected face; `scale` converts working-image pixels into photo pixels.
public enum FaceQualityEstimator {
    /// The quality signals of one face.
    ///
    /// Roll is the eye line's angle in degrees. Yaw, in degrees, is asin of the nose's offset from the eyes'
    /// midpoint along the eye line, over half the eye distance (clamped to ±1, so ±90° at most); the frontal score
    /// is 1 minus that clamped offset's magnitude, 0…1. Sharpness is the Laplacian variance of the aligned crop.
    ///
    /// - Parameters:
    ///   - face: The detection, in working-image pixels.
    ///   - aligned: The face's aligned crop.
    ///   - scale: Working-image pixels per photo pixel; face size and eye distance are divided by it.
    public static func quality(of face: DetectedFace, aligned: AlignedFace, scale: Double) -> FaceQuality {
        let points = face.landmarks.points
        let leftEye = points[0]
        let rightEye = points[1]
        let nose = points[2]
        let interocular = leftEye.distance(to: rightEye)
        let roll = atan2(rightEye.y - leftEye.y, rightEye.x - leftEye.x)

        // Yaw from how far the nose sits off the eyes' midline, measured along the eye line: at ±half the eye
        // distance the nose is at the outline of the face, which a frontal detector sees at roughly ±60°.
        let midpoint = Point(x: (leftEye.x + rightEye.x) / 2, y: (leftEye.y + rightEye.y) / 2)
        let offset =
            ((nose.x - midpoint.x) * cos(roll) + (nose.y - midpoint.y) * sin(roll)) / max(interocular / 2, 1e-6)
        let clamped = min(1, max(-1, offset))
        let yaw = asin(clamped) * 180 / .pi

        return FaceQuality(
            confidence: face.confidence,
            faceSize: min(face.box.width, face.box.height) / scale,
            interocularDistance: interocular / scale,
            sharpness: laplacianVariance(aligned),
            roll: roll * 180 / .pi,
            yaw: yaw,
            frontalScore: 1 - abs(clamped)
        )
    }

    /// Variance of the 4-neighbour Laplacian over the grey levels of the aligned crop, whose fixed size makes the
    /// number comparable between photos of any resolution.
    static func laplacianVariance(_ face: AlignedFace) -> Double {
        let width = face.width
        let height = face.height
        guard width > 2, height > 2 else { return 0 }
        var gray = [Float](repeating: 0, count: width * height)
        for index in 0..<(width * height) {
            gray[index] =
                0.299 * face.pixels[index * 3] + 0.587 * face.pixels[index * 3 + 1] + 0.114 * face.pixels[index * 3 + 2]
        }
        var sum = 0.0
        var squares = 0.0
        for y in 1..<(height - 1) {
            for x in 1..<(width - 1) {
                let index = y * width + x
                let laplacian = Double(
                    gray[index - 1] + gray[index + 1] + gray[index - width] + gray[index + width] - 4 * gray[index]
                )
                sum += laplacian
                squares += laplacian * laplacian
            }
        }
        let count = Double((width - 2) * (height - 2))
        let mean = sum / count
        return squares / count - mean * mean
    }
}
