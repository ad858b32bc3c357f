public import FaceMatrixCore
import Foundation
import Logging
import PostgresNIO

/// Users and their faces: enrolment (one at a time, under an advisory lock), look-up and erasure.
extension PostgresFaceRepository {
    /// Creates the user with one face in one transaction, which takes the enrolment advisory lock
    /// (`pg_advisory_xact_lock`) first: enrolments run one at a time, so `approve` sees every face enrolled before and
    /// no two requests can enrol one face or consume one key side by side. A key is consumed in the same transaction.
    ///
    /// - Throws: `.enrollmentKeyNotFound` (404/606) for a key that is unknown, expired, used or of another model;
    ///   whatever `approve` throws; `.userAlreadyExists` (409/608) for an email already registered
    ///   (case-insensitively); `.dependencyUnavailable` (503/610) when the database is unreachable or slow. Nothing is
    ///   written then.
    public func createUser(
        _ user: NewUser,
        face: FaceSource,
        model: ModelIdentity,
        approve: @escaping @Sendable (EnrolledFace, UserSearchResult) throws -> Void
    ) async throws -> UserRecord {
        try await perform {
            let gallerySize = try await gallerySize(of: model)
            return try await inEnrollmentTransaction { connection in
                let enrolled = try await resolve(face, model: model, on: connection)
                try approve(
                    enrolled,
                    try await search(enrolled.embedding, model: model, gallerySize: gallerySize, on: connection)
                )
                let id = newUserID()
                let rows = try await connection.query(
                    """
                    INSERT INTO users (id, name, birthdate, email)
                    VALUES (\(id), \(user.name), \(user.birthdate)::date, \(user.email))
                    RETURNING created_at
                    """,
                    logger: logger
                )
                var createdAt = Date()
                for try await value in rows.decode(Date.self) { createdAt = value }
                try await insertFace(enrolled, userID: id, model: model, on: connection)
                return UserRecord(
                    user: User(id: id, name: user.name, birthdate: user.birthdate, email: user.email),
                    faceCount: 1,
                    createdAt: createdAt
                )
            }
        }
    }

    /// Adds a face to user `id` in one transaction under the enrolment advisory lock, as `createUser`; `approve` also
    /// sees the user's own best similarity to the face (−1…1; nil when they have no face of `model`).
    ///
    /// - Throws: `.userNotFound` (404/607); `.enrollmentKeyNotFound` (404/606); whatever `approve` throws;
    ///   `.dependencyUnavailable` (503/610) when the database is unreachable or slow. Nothing is written then.
    public func addFace(
        toUser id: String,
        face: FaceSource,
        model: ModelIdentity,
        approve: @escaping @Sendable (EnrolledFace, UserSearchResult, Double?) throws -> Void
    ) async throws -> UserRecord {
        try await perform {
            let gallerySize = try await gallerySize(of: model)
            return try await inEnrollmentTransaction { connection in
                guard try await fetchUser(id: id, on: connection) != nil else { throw FaceMatrixError.userNotFound }
                let enrolled = try await resolve(face, model: model, on: connection)
                let search = try await search(
                    enrolled.embedding,
                    model: model,
                    gallerySize: gallerySize,
                    on: connection
                )
                let own = try await connection.query(
                    """
                    SELECT max(1 - (embedding <=> \(enrolled.embedding.pgvectorText)::vector))
                    FROM faces WHERE user_id = \(id) AND model = \(model.key)
                    """,
                    logger: logger
                ).value(Double?.self, or: nil)
                try approve(enrolled, search, own)
                try await insertFace(enrolled, userID: id, model: model, on: connection)
                guard let record = try await fetchUser(id: id, on: connection) else {
                    throw FaceMatrixError.userNotFound
                }
                return record
            }
        }
    }

    /// The user and their face count (faces of every model); nil when there is no such user.
    ///
    /// - Throws: `.dependencyUnavailable` (503/610) when the database is unreachable or slow; `.internalError`
    ///   otherwise.
    public func user(id: String) async throws -> UserRecord? {
        try await perform {
            try await database.client.withConnection { try await fetchUser(id: id, on: $0) }
        }
    }

    /// Deletes the user; their faces go with them (`ON DELETE CASCADE`). False when there is no such user.
    ///
    /// - Throws: `.dependencyUnavailable` (503/610) when the database is unreachable or slow; `.internalError`
    ///   otherwise.
    public func deleteUser(id: String) async throws -> Bool {
        try await perform {
            let rows = try await database.client.query(
                "DELETE FROM users WHERE id = \(id) RETURNING id",
                logger: logger
            )
            var deleted = false
            for try await _ in rows.decode(String.self) { deleted = true }
            if deleted { gallerySizes.invalidate() }
            return deleted
        }
    }

    func inEnrollmentTransaction<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            let result = try await database.client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.enrollmentLockKey))", logger: logger)
                return try await body(connection)
            }
            // After the commit, so that a search in between cannot cache the count from before it.
            gallerySizes.invalidate()
            return result
        } catch let error as PostgresTransactionError {
            // Our own refusals (409, 404) and database errors from inside the transaction, unwrapped.
            if let reason = error.closureError ?? error.beginError ?? error.commitError { throw reason }
            throw error
        }
    }

    func insertFace(
        _ face: EnrolledFace,
        userID: String,
        model: ModelIdentity,
        on connection: PostgresConnection
    )
        async throws
    {
        let metadata = try FaceMetadata(face).json()
        try await connection.query(
            """
            INSERT INTO faces (user_id, model, embedding, face)
            VALUES (\(userID), \(model.key), \(face.embedding.pgvectorText)::vector, \(metadata)::jsonb)
            """,
            logger: logger
        )
    }

    func fetchUser(id: String, on connection: PostgresConnection) async throws -> UserRecord? {
        let rows = try await connection.query(
            """
            SELECT u.id, u.name, u.birthdate::text, u.email, u.created_at,
                   (SELECT count(*)::int FROM faces f WHERE f.user_id = u.id)
            FROM users u WHERE u.id = \(id)
            """,
            logger: logger
        )
        for try await (id, name, birthdate, email, createdAt, faces) in rows.decode(
            (String, String, String, String?, Date, Int).self
        ) {
            return UserRecord(
                user: User(id: id, name: name, birthdate: birthdate, email: email),
                faceCount: faces,
                createdAt: createdAt
            )
        }
        return nil
    }
}
