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

    struct EnrollmentKey: Encodable {
        let reqID: String
        let expiresAt: String

        enum CodingKeys: String, CodingKey {
            case reqID = "req_id"
            case expiresAt
        }
    }

    struct Recognised: Encodable {
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

        init(_ recognition: RecognitionService.Recognition, service: RecognitionService, requestID: String) {
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
                similarity: best?.similarity, userID: recognition.user == nil ? nil : matched?.userID,
                threshold: recognition.threshold, targetFalseAcceptRate: recognition.targetFalseAcceptRate,
                margin: service.configuration.policy.margin,
                gallerySize: recognition.gallerySize, facesDetected: recognition.facesDetected,
                box: face.detection.box, confidence: face.detection.confidence, landmarks: face.detection.landmarks,
                quality: face.quality, model: ModelInfo(name: service.model.name, version: service.model.version),
                timingsMs: recognition.timings.milliseconds, qualityShortfalls: recognition.qualityShortfalls)
            if let user = recognition.user {
                self.init(
                    status: "success", message: "Match found", userInfo: UserInfo(user), reqID: nil, enrollmentKey: nil,
                    metadata: metadata, requestId: requestID)
            } else {
                let key = recognition.enrollmentKey
                self.init(
                    status: "failure", message: "no_match", userInfo: nil, reqID: key?.id,
                    enrollmentKey: key.map { EnrollmentKey(reqID: $0.id, expiresAt: rfc3339($0.expiresAt)) },
                    metadata: metadata, requestId: requestID)
            }
        }

        init(
            status: String, message: String, userInfo: UserInfo?, reqID: String?, enrollmentKey: EnrollmentKey?,
            metadata: Metadata, requestId: String
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

    /// The answer of recognise with `all_faces=true`: one entry per face, the most prominent first.
    struct RecognisedFaces: Encodable {
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
                facesDetected: group.facesDetected, threshold: group.threshold,
                targetFalseAcceptRate: group.targetFalseAcceptRate, margin: service.configuration.policy.margin,
                gallerySize: group.gallerySize,
                model: ModelInfo(name: service.model.name, version: service.model.version),
                timingsMs: group.timings.milliseconds)
            requestId = requestID
        }
    }

    /// The answer to a change to one user: created or deleted.
    struct UserChanged: Encodable {
        let status = "success"
        let message: String
        let userID: String
        let requestId: String

        enum CodingKeys: String, CodingKey {
            case status, message
            case userID = "user_id"
            case requestId
        }

        static func created(_ userID: String, requestID: String) -> UserChanged {
            UserChanged(message: "User added successfully", userID: userID, requestId: requestID)
        }

        static func deleted(_ userID: String, requestID: String) -> UserChanged {
            UserChanged(message: "User deleted", userID: userID, requestId: requestID)
        }
    }

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

    struct FaceAdded: Encodable {
        let status = "success"
        let message = "Face added"
        let userID: String
        let faces: Int
        let requestId: String

        enum CodingKeys: String, CodingKey {
            case status, message
            case userID = "user_id"
            case faces, requestId
        }
    }

    struct UserDetails: Encodable {
        struct Body: Encodable {
            let id: String
            let name: String
            let birthdate: String
            let email: String?
            let faces: Int
            let createdAt: String

            enum CodingKeys: String, CodingKey {
                case id, name, birthdate, email, faces
                case createdAt = "created_at"
            }

            func encode(to encoder: any Encoder) throws {
                // The user's own fields exactly as everywhere else, then what only this answer adds.
                try UserInfo(User(id: id, name: name, birthdate: birthdate, email: email)).encode(to: encoder)
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(faces, forKey: .faces)
                try container.encode(createdAt, forKey: .createdAt)
            }
        }

        let status = "success"
        let user: Body
        let requestId: String

        init(_ record: UserRecord, requestID: String) {
            user = Body(
                id: record.user.id, name: record.user.name, birthdate: record.user.birthdate, email: record.user.email,
                faces: record.faceCount, createdAt: rfc3339(record.createdAt))
            requestId = requestID
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
