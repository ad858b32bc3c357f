import FaceMatrixCore
import FacePipeline
import Foundation
import Recognition

/// The answer to a 1:1 verification.
extension APIResponse {
    /// The answer of `POST /api/v1/verify`.
    struct Verified: Encodable {
        let status = "success"
        let verified: Bool
        let message: String
        let userID: String
        let similarity: Double
        let threshold: Double
        let facesDetected: Int
        let box: BoundingBox
        let quality: FaceQuality
        let model: ModelInfo
        let timingsMs: [String: Double]
        let requestId: String

        enum CodingKeys: String, CodingKey {
            case status, verified, message
            case userID = "user_id"
            case similarity, threshold
            case facesDetected = "faces_detected"
            case box, quality, model
            case timingsMs = "timings_ms"
            case requestId
        }

        init(_ verification: RecognitionService.Verification, service: RecognitionService, requestID: String) {
            verified = verification.isSamePerson
            message = verification.isSamePerson ? "Same person" : "Different person"
            userID = verification.userID
            similarity = verification.similarity
            threshold = verification.threshold
            facesDetected = verification.facesDetected
            box = verification.face.detection.box
            quality = verification.face.quality
            model = ModelInfo(name: service.model.name, version: service.model.version)
            timingsMs = verification.timings.milliseconds
            requestId = requestID
        }
    }
}
