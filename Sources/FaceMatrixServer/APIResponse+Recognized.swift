import FaceMatrixCore
import FacePipeline
import Foundation
import Recognition

/// The answer to a recognition of the main face.
extension APIResponse {
    struct EnrollmentKey: Encodable {
        let reqID: String
        let expiresAt: String

        enum CodingKeys: String, CodingKey {
            case reqID = "req_id"
            case expiresAt
        }
    }

    struct Recognized: Encodable {
        let status: String
        let message: String
        let userInfo: UserInfo?
        let reqID: String?
        let enrollmentKey: EnrollmentKey?
        let metadata: Metadata
        let requestId: String

        enum CodingKeys: String, CodingKey {
            case status, message
            case userInfo = "user_info"
            case reqID = "req_id"
            case enrollmentKey, metadata, requestId
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(status, forKey: .status)
            try container.encode(message, forKey: .message)
            try container.encode(userInfo, forKey: .userInfo)
            try container.encodeIfPresent(reqID, forKey: .reqID)
            try container.encodeIfPresent(enrollmentKey, forKey: .enrollmentKey)
            try container.encode(metadata, forKey: .metadata)
            try container.encode(requestId, forKey: .requestId)
        }

        init(_ recognition: RecognitionService.Identification, service: RecognitionService, requestID: String) {
            let matched: Candidate?
            let best: Candidate?
            switch recognition.decision {
            case .match(let candidate):
                matched = candidate
                best = candidate
            case .noMatch(let candidate):
                matched = nil
                best = candidate
            }
            let face = recognition.face
            let metadata = Metadata(
                similarity: best?.similarity,
                userID: recognition.user == nil ? nil : matched?.userID,
                threshold: recognition.threshold,
                targetFalseAcceptRate: recognition.targetFalseAcceptRate,
                margin: service.configuration.policy.margin,
                gallerySize: recognition.gallerySize,
                facesDetected: recognition.facesDetected,
                box: face.detection.box,
                confidence: face.detection.confidence,
                landmarks: face.detection.landmarks,
                quality: face.quality,
                model: ModelInfo(name: service.model.name, version: service.model.version),
                timingsMs: recognition.timings.milliseconds,
                qualityShortfalls: recognition.qualityShortfalls
            )
            if let user = recognition.user {
                self.init(
                    status: "success",
                    message: "Match found",
                    userInfo: UserInfo(user),
                    reqID: nil,
                    enrollmentKey: nil,
                    metadata: metadata,
                    requestId: requestID
                )
            } else {
                let key = recognition.enrollmentKey
                self.init(
                    status: "failure",
                    message: "no_match",
                    userInfo: nil,
                    reqID: key?.id,
                    enrollmentKey: key.map { EnrollmentKey(reqID: $0.id, expiresAt: rfc3339($0.expiresAt)) },
                    metadata: metadata,
                    requestId: requestID
                )
            }
        }

        init(
            status: String,
            message: String,
            userInfo: UserInfo?,
            reqID: String?,
            enrollmentKey: EnrollmentKey?,
            metadata: Metadata,
            requestId: String
        ) {
            self.status = status
            self.message = message
            self.userInfo = userInfo
            self.reqID = reqID
            self.enrollmentKey = enrollmentKey
            self.metadata = metadata
            self.requestId = requestId
        }
    }
}
