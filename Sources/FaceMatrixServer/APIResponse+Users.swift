import FaceMatrixCore
import FacePipeline
import Foundation
import Recognition

/// The answers of the user operations: enrolment, erasure, an added face, a look-up.
extension APIResponse {
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
                id: record.user.id,
                name: record.user.name,
                birthdate: record.user.birthdate,
                email: record.user.email,
                faces: record.faceCount,
                createdAt: rfc3339(record.createdAt)
            )
            requestId = requestID
        }
    }
}
