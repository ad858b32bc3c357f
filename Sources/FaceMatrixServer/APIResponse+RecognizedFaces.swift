import FaceMatrixCore
import FacePipeline
import Foundation
import Recognition

/// The answer to a recognition of every face (`all_faces=true`).
extension APIResponse {
    /// The answer of recognise with `all_faces=true`: one entry per face, the most prominent first.
    struct RecognizedFaces: Encodable {
        struct Face: Encodable {
            let decision: String
            let userInfo: UserInfo?
            let similarity: Double?
            let box: BoundingBox
            let confidence: Double
            let landmarks: FaceLandmarks
            let quality: FaceQuality
            let reqID: String?
            let enrollmentKey: EnrollmentKey?
            let qualityShortfalls: [String]

            enum CodingKeys: String, CodingKey {
                case decision
                case userInfo = "user_info"
                case similarity, box, confidence, landmarks, quality
                case reqID = "req_id"
                case enrollmentKey
                case qualityShortfalls = "quality_shortfalls"
            }

            init(_ identification: RecognitionService.FaceIdentification) {
                let best: Candidate? =
                    switch identification.decision {
                    case .match(let candidate): candidate
                    case .noMatch(let candidate): candidate
                    }
                decision = identification.user == nil ? "no_match" : "match"
                userInfo = identification.user.map(UserInfo.init)
                similarity = best?.similarity
                box = identification.face.detection.box
                confidence = identification.face.detection.confidence
                landmarks = identification.face.detection.landmarks
                quality = identification.face.quality
                reqID = identification.enrollmentKey?.id
                enrollmentKey = identification.enrollmentKey.map {
                    EnrollmentKey(reqID: $0.id, expiresAt: rfc3339($0.expiresAt))
                }
                qualityShortfalls = identification.qualityShortfalls
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(decision, forKey: .decision)
                try container.encode(userInfo, forKey: .userInfo)
                try container.encode(similarity, forKey: .similarity)
                try container.encode(box, forKey: .box)
                try container.encode(confidence, forKey: .confidence)
                try container.encode(landmarks, forKey: .landmarks)
                try container.encode(quality, forKey: .quality)
                try container.encodeIfPresent(reqID, forKey: .reqID)
                try container.encodeIfPresent(enrollmentKey, forKey: .enrollmentKey)
                try container.encode(qualityShortfalls, forKey: .qualityShortfalls)
            }
        }

        struct Metadata: Encodable {
            let facesDetected: Int
            let threshold: Double
            let targetFalseAcceptRate: Double?
            let margin: Double
            let gallerySize: Int
            let model: ModelInfo
            let timingsMs: [String: Double]

            enum CodingKeys: String, CodingKey {
                case facesDetected = "faces_detected"
                case threshold
                case targetFalseAcceptRate = "target_far"
                case margin
                case gallerySize = "gallery_size"
                case model
                case timingsMs = "timings_ms"
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(facesDetected, forKey: .facesDetected)
                try container.encode(threshold, forKey: .threshold)
                try container.encode(targetFalseAcceptRate, forKey: .targetFalseAcceptRate)  // null rather than absent
                try container.encode(margin, forKey: .margin)
                try container.encode(gallerySize, forKey: .gallerySize)
                try container.encode(model, forKey: .model)
                try container.encode(timingsMs, forKey: .timingsMs)
            }
        }

        let status: String
        let message: String
        let faces: [Face]
        let metadata: Metadata
        let requestId: String

        init(_ group: RecognitionService.GroupRecognition, service: RecognitionService, requestID: String) {
            faces = group.faces.map(Face.init)
            let matched = faces.filter { $0.decision == "match" }.count
            status = matched > 0 ? "success" : "failure"
            let beyondCap = group.facesDetected > faces.count ? " (\(group.facesDetected) detected)" : ""
            message = "\(matched) of \(faces.count) faces matched" + beyondCap
            metadata = Metadata(
                facesDetected: group.facesDetected,
                threshold: group.threshold,
                targetFalseAcceptRate: group.targetFalseAcceptRate,
                margin: service.configuration.policy.margin,
                gallerySize: group.gallerySize,
                model: ModelInfo(name: service.model.name, version: service.model.version),
                timingsMs: group.timings.milliseconds
            )
            requestId = requestID
        }
    }
}
