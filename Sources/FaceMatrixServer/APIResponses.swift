import FaceMatrixCore
import FacePipeline
import Foundation
import Recognition

/// The JSON bodies the API answers with. Field names are part of the contract (see openapi.yaml).
enum APIResponse {
    struct UserInfo: Encodable {
        let id: String
        let name: String
        let birthdate: String
        let email: String?

        init(_ user: User) {
            id = user.id
            name = user.name
            birthdate = user.birthdate
            email = user.email
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(birthdate, forKey: .birthdate)
            try container.encode(email, forKey: .email)  // null rather than absent
        }

        enum CodingKeys: String, CodingKey { case id, name, birthdate, email }
    }

    struct ModelInfo: Encodable {
        let name: String
        let version: String
    }

    struct Metadata: Encodable {
        let similarity: Double?
        let userID: String?
        let threshold: Double
        /// The open-set FAR the threshold holds; nil when a fixed threshold was used instead.
        let targetFalseAcceptRate: Double?
        let margin: Double
        let gallerySize: Int
        let facesDetected: Int
        let box: BoundingBox
        let confidence: Double
        let landmarks: FaceLandmarks
        let quality: FaceQuality
        let model: ModelInfo
        let timingsMs: [String: Double]
        let qualityShortfalls: [String]

        enum CodingKeys: String, CodingKey {
            case similarity
            case userID = "user_id"
            case threshold, margin
            case targetFalseAcceptRate = "target_far"
            case gallerySize = "gallery_size"
            case facesDetected = "faces_detected"
            case box, confidence, landmarks, quality, model
            case timingsMs = "timings_ms"
            case qualityShortfalls = "quality_shortfalls"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(similarity, forKey: .similarity)
            try container.encodeIfPresent(userID, forKey: .userID)
            try container.encode(threshold, forKey: .threshold)
            try container.encode(targetFalseAcceptRate, forKey: .targetFalseAcceptRate)
            try container.encode(margin, forKey: .margin)
            try container.encode(gallerySize, forKey: .gallerySize)
            try container.encode(facesDetected, forKey: .facesDetected)
            try container.encode(box, forKey: .box)
            try container.encode(confidence, forKey: .confidence)
            try container.encode(landmarks, forKey: .landmarks)
            try container.encode(quality, forKey: .quality)
            try container.encode(model, forKey: .model)
            try container.encode(timingsMs, forKey: .timingsMs)
            try container.encode(qualityShortfalls, forKey: .qualityShortfalls)
        }
    }

}

/// RFC 3339 in UTC with a trailing Z, e.g. 2026-11-29T10:15:00Z.
func rfc3339(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
}
