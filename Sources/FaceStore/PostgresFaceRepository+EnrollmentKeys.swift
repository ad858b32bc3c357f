public import FaceMatrixCore
public import Foundation
import Logging
import PostgresNIO

/// Enrollment keys: an unmatched face kept for a while, consumed once by an enrolment.
extension PostgresFaceRepository {
    /// Stores the face's embedding, detection and quality under `key` until `expiresAt`.
    ///
    /// - Throws: `.dependencyUnavailable` (503/610) when the database is unreachable or slower than `operationTimeout`;
    ///   `.internalError` (500) for any other database error, a key saved twice among them.
    public func saveEnrollmentKey(_ key: String, face: EnrolledFace, model: ModelIdentity, expiresAt: Date)
        async throws
    {
        let metadata = try FaceMetadata(face).json()
        _ = try await perform {
            try await database.client.query(
                """
                INSERT INTO enrollment_keys (req_id, model, embedding, face, expires_at)
                VALUES (\(key), \(model.key), \(face.embedding.pgvectorText)::vector, \(metadata)::jsonb, \(expiresAt))
                """,
                logger: logger
            )
        }
    }

    /// Deletes the keys whose expiry has passed by the database's clock, with their embeddings; returns how many.
    ///
    /// - Throws: `.dependencyUnavailable` (503/610) when the database is unreachable or slow; `.internalError`
    ///   otherwise.
    public func deleteExpiredEnrollmentKeys() async throws -> Int {
        try await perform {
            try await database.client.query(
                "WITH gone AS (DELETE FROM enrollment_keys WHERE expires_at <= now() RETURNING 1) SELECT count(*)::int FROM gone",
                logger: logger
            ).value(Int.self, or: 0)
        }
    }

    /// Takes the face from the request, or consumes the enrollment key (only an unexpired one of this model).
    func resolve(_ source: FaceSource, model: ModelIdentity, on connection: PostgresConnection) async throws
        -> EnrolledFace
    {
        switch source {
        case .face(let face):
            return face
        case .enrollmentKey(let key):
            let rows = try await connection.query(
                """
                DELETE FROM enrollment_keys
                WHERE req_id = \(key) AND model = \(model.key) AND expires_at > now()
                RETURNING embedding::text, face::text
                """,
                logger: logger
            )
            for try await (vector, metadata) in rows.decode((String, String).self) {
                guard let embedding = Embedding(pgvectorText: vector) else { throw FaceMatrixError.internalError }
                return try FaceMetadata.decode(metadata).enrolledFace(embedding: embedding)
            }
            throw FaceMatrixError.enrollmentKeyNotFound
        }
    }
}
