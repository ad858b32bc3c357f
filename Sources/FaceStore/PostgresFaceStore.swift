public import FaceMatrixCore
public import Foundation
import Logging
public import PostgresNIO

/// The face store on PostgreSQL + pgvector: users, faces (an HNSW cosine index per model) and enrollment keys.
/// All values travel as bound parameters.
public struct PostgresFaceStore: FaceStore {
    public let database: Database
    /// Any single database operation longer than this is treated as the database being unavailable.
    public var operationTimeout: Duration = .seconds(5)
    /// The same for `prepare`, which may build an index over the whole gallery.
    public var preparationTimeout: Duration = .seconds(300)
    /// How many nearest faces are read to find the best two users (a user may own several of them).
    public var neighbours = 32
    /// Refuses operations at once while the database is known to be unreachable.
    public let breaker: CircuitBreaker

    /// Serialises enrollments, so two requests can never enrol the same face (or consume one key) side by side.
    static let enrollmentLockKey: Int64 = 0x4661_6365_456e_726c  // "FaceEnrl"

    public init(database: Database) {
        self.database = database
        // The probe goes around the pool, which may still be backing off, and a pool that has been failing is
        // replaced once the database answers.
        breaker = CircuitBreaker {
            try await database.probe()
            database.replacePool()
        }
    }

    private var logger: Logger { database.logger }

    public func checkAvailable() throws {
        try breaker.check()
    }

    public func prepare(for model: ModelIdentity) async throws {
        try await database.migrate()
        // One partial HNSW index per model: the column holds vectors of any dimension, an index needs one.
        // DDL takes no bound parameters, so the model key is checked to be plain before it is quoted in.
        guard model.key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.@".contains($0)) }),
            (1...16_000).contains(model.dimension)
        else { throw FaceMatrixError.internalError }
        let indexName = "faces_hnsw_\(stableHash(model.key))"
        // Building the index over an existing gallery takes a while, and start-up is not a request: no breaker,
        // and a deadline of its own.
        _ = try await perform(timeout: preparationTimeout, throughBreaker: false) {
            try await database.client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Database.migrationLockKey))", logger: logger)
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            CREATE INDEX IF NOT EXISTS \(indexName) ON faces
                            USING hnsw ((embedding::vector(\(model.dimension))) vector_cosine_ops)
                            WHERE model = '\(model.key)'
                            """), logger: logger)
            }
        }
    }

    public func searchUsers(similarTo embedding: Embedding, model: ModelIdentity) async throws -> UserSearchResult {
        try await perform {
            try await database.client.withConnection { try await search(embedding, model: model, on: $0) }
        }
    }

    /// The query the HNSW index serves: nearest faces of one model by cosine distance.
    public static func nearestFacesQuery(_ embedding: Embedding, model: ModelIdentity, limit: Int) -> PostgresQuery {
        let dimension = model.dimension
        return """
            SELECT user_id, 1 - (embedding::vector(\(unescaped: String(dimension))) <=> \(embedding.pgvectorText)::vector(\(unescaped: String(dimension)))) AS similarity
            FROM faces
            WHERE model = \(model.key)
            ORDER BY embedding::vector(\(unescaped: String(dimension))) <=> \(embedding.pgvectorText)::vector(\(unescaped: String(dimension)))
            LIMIT \(limit)
            """
    }

    func search(_ embedding: Embedding, model: ModelIdentity, on connection: PostgresConnection) async throws
        -> UserSearchResult
    {
        var best: [String: Double] = [:]
        let rows = try await connection.query(
            Self.nearestFacesQuery(embedding, model: model, limit: neighbours), logger: logger)
        for try await (userID, similarity) in rows.decode((String, Double).self) {
            best[userID] = max(best[userID] ?? -2, similarity)
        }
        var gallerySize = 0
        let count = try await connection.query(
            "SELECT count(DISTINCT user_id)::int FROM faces WHERE model = \(model.key)", logger: logger)
        for try await value in count.decode(Int.self) { gallerySize = value }
        let (first, second) = topTwo(best)
        return UserSearchResult(best: first, runnerUp: second, gallerySize: gallerySize)
    }

    public func saveEnrollmentKey(_ key: String, face: EnrolledFace, model: ModelIdentity, expiresAt: Date)
        async throws
    {
        let metadata = try FaceMetadata(face).json()
        _ = try await perform {
            try await database.client.query(
                """
                INSERT INTO enrollment_keys (req_id, model, embedding, face, expires_at)
                VALUES (\(key), \(model.key), \(face.embedding.pgvectorText)::vector, \(metadata)::jsonb, \(expiresAt))
                """, logger: logger)
        }
    }

    public func createUser(
        _ user: NewUser, face: FaceSource, model: ModelIdentity,
        approve: @escaping @Sendable (EnrolledFace, UserSearchResult) throws -> Void
    ) async throws -> UserRecord {
        try await perform {
            try await inEnrollmentTransaction { connection in
                let enrolled = try await resolve(face, model: model, on: connection)
                try approve(enrolled, try await search(enrolled.embedding, model: model, on: connection))
                let id = newUserID()
                let rows = try await connection.query(
                    """
                    INSERT INTO users (id, name, birthdate, email)
                    VALUES (\(id), \(user.name), \(user.birthdate)::date, \(user.email))
                    RETURNING created_at
                    """, logger: logger)
                var createdAt = Date()
                for try await value in rows.decode(Date.self) { createdAt = value }
                try await insertFace(enrolled, userID: id, model: model, on: connection)
                return UserRecord(
                    user: User(id: id, name: user.name, birthdate: user.birthdate, email: user.email), faceCount: 1,
                    createdAt: createdAt)
            }
        }
    }

    public func addFace(
        toUser id: String, face: FaceSource, model: ModelIdentity,
        approve: @escaping @Sendable (EnrolledFace, UserSearchResult, Double?) throws -> Void
    ) async throws -> UserRecord {
        try await perform {
            try await inEnrollmentTransaction { connection in
                guard try await fetchUser(id: id, on: connection) != nil else { throw FaceMatrixError.userNotFound }
                let enrolled = try await resolve(face, model: model, on: connection)
                let search = try await search(enrolled.embedding, model: model, on: connection)
                var own: Double?
                let rows = try await connection.query(
                    """
                    SELECT max(1 - (embedding <=> \(enrolled.embedding.pgvectorText)::vector))
                    FROM faces WHERE user_id = \(id) AND model = \(model.key)
                    """, logger: logger)
                for try await value in rows.decode(Double?.self) { own = value }
                try approve(enrolled, search, own)
                try await insertFace(enrolled, userID: id, model: model, on: connection)
                guard let record = try await fetchUser(id: id, on: connection) else {
                    throw FaceMatrixError.userNotFound
                }
                return record
            }
        }
    }

    public func user(id: String) async throws -> UserRecord? {
        try await perform {
            try await database.client.withConnection { try await fetchUser(id: id, on: $0) }
        }
    }

    public func bestSimilarity(of embedding: Embedding, toUser id: String, model: ModelIdentity) async throws
        -> Double?
    {
        let dimension = String(model.dimension)
        return try await perform {
            let rows = try await database.client.query(
                """
                SELECT max(1 - (embedding::vector(\(unescaped: dimension)) <=> \(embedding.pgvectorText)::vector(\(unescaped: dimension))))
                FROM faces WHERE user_id = \(id) AND model = \(model.key)
                """, logger: logger)
            var best: Double?
            for try await value in rows.decode(Double?.self) { best = value }
            return best
        }
    }

    public func deleteUser(id: String) async throws -> Bool {
        try await perform {
            let rows = try await database.client.query(
                "DELETE FROM users WHERE id = \(id) RETURNING id", logger: logger)
            var deleted = false
            for try await _ in rows.decode(String.self) { deleted = true }
            return deleted
        }
    }

    public func deleteExpiredEnrollmentKeys() async throws -> Int {
        try await perform {
            let rows = try await database.client.query(
                "WITH gone AS (DELETE FROM enrollment_keys WHERE expires_at <= now() RETURNING 1) SELECT count(*)::int FROM gone",
                logger: logger)
            var count = 0
            for try await value in rows.decode(Int.self) { count = value }
            return count
        }
    }

    public func statistics(model: ModelIdentity) async throws -> StoreStatistics {
        try await perform {
            let rows = try await database.client.query(
                """
                SELECT (SELECT count(*)::int FROM users),
                       (SELECT count(*)::int FROM faces WHERE model = \(model.key)),
                       (SELECT count(*)::int FROM enrollment_keys WHERE expires_at > now())
                """, logger: logger)
            var statistics = StoreStatistics(users: 0, faces: 0, pendingEnrollmentKeys: 0)
            for try await (users, faces, keys) in rows.decode((Int, Int, Int).self) {
                statistics = StoreStatistics(users: users, faces: faces, pendingEnrollmentKeys: keys)
            }
            return statistics
        }
    }

    // MARK: Helpers

    private func inEnrollmentTransaction<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await database.client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.enrollmentLockKey))", logger: logger)
                return try await body(connection)
            }
        } catch let error as PostgresTransactionError {
            // Our own refusals (409, 404) and database errors from inside the transaction, unwrapped.
            if let reason = error.closureError ?? error.beginError ?? error.commitError { throw reason }
            throw error
        }
    }

    /// Takes the face from the request, or consumes the enrollment key (only an unexpired one of this model).
    private func resolve(_ source: FaceSource, model: ModelIdentity, on connection: PostgresConnection) async throws
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
                """, logger: logger)
            for try await (vector, metadata) in rows.decode((String, String).self) {
                guard let embedding = Embedding(pgvectorText: vector) else { throw FaceMatrixError.internalError }
                return try FaceMetadata.decode(metadata).enrolledFace(embedding: embedding)
            }
            throw FaceMatrixError.enrollmentKeyNotFound
        }
    }

    private func insertFace(
        _ face: EnrolledFace, userID: String, model: ModelIdentity, on connection: PostgresConnection
    )
        async throws
    {
        let metadata = try FaceMetadata(face).json()
        try await connection.query(
            """
            INSERT INTO faces (user_id, model, embedding, face)
            VALUES (\(userID), \(model.key), \(face.embedding.pgvectorText)::vector, \(metadata)::jsonb)
            """, logger: logger)
    }

    private func fetchUser(id: String, on connection: PostgresConnection) async throws -> UserRecord? {
        let rows = try await connection.query(
            """
            SELECT u.id, u.name, u.birthdate::text, u.email, u.created_at,
                   (SELECT count(*)::int FROM faces f WHERE f.user_id = u.id)
            FROM users u WHERE u.id = \(id)
            """, logger: logger)
        for try await (id, name, birthdate, email, createdAt, faces) in rows.decode(
            (String, String, String, String?, Date, Int).self)
        {
            return UserRecord(
                user: User(id: id, name: name, birthdate: birthdate, email: email), faceCount: faces,
                createdAt: createdAt)
        }
        return nil
    }

    /// Runs one database operation with a time limit, translating database failures into the error contract:
    /// an unreachable or failing server becomes `.dependencyUnavailable` (503), a taken email `.userAlreadyExists`.
    func perform<Result: Sendable>(
        timeout: Duration? = nil, throughBreaker: Bool = true,
        _ operation: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        if throughBreaker { try breaker.check() }
        do {
            return try await withDeadline(timeout ?? operationTimeout, operation)
        } catch let error as FaceMatrixError {
            throw error
        } catch let error as PSQLError {
            let translated = translate(error)
            if case .dependencyUnavailable = translated { breaker.recordUnreachable() }
            throw translated
        } catch is DeadlineExceeded {
            logger.warning("database operation timed out")
            breaker.recordUnreachable()
            throw FaceMatrixError.dependencyUnavailable("database", retryAfterSeconds: breaker.retryAfterSeconds)
        }
    }

    func translate(_ error: PSQLError) -> FaceMatrixError {
        if error.code == .server {
            let state = error.serverInfo?[.sqlState] ?? ""
            if state == "23505" { return .userAlreadyExists("the email address is already registered") }
            // Class 08 (connection), 53 (resources), 57P (shutdown, cannot connect now).
            if state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P") {
                return .dependencyUnavailable("database", retryAfterSeconds: breaker.retryAfterSeconds)
            }
            logger.error("database error", metadata: ["sqlstate": "\(state)", "error": "\(String(reflecting: error))"])
            return .internalError
        }
        logger.warning("database unavailable", metadata: ["error": "\(error.code)"])
        return .dependencyUnavailable("database", retryAfterSeconds: breaker.retryAfterSeconds)
    }
}

/// What is stored about a face besides its embedding.
struct FaceMetadata: Codable {
    let detection: DetectedFace
    let quality: FaceQuality

    init(_ face: EnrolledFace) {
        detection = face.detection
        quality = face.quality
    }

    func json() throws -> String {
        String(decoding: try JSONEncoder().encode(self), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> FaceMetadata {
        try JSONDecoder().decode(FaceMetadata.self, from: Data(text.utf8))
    }

    func enrolledFace(embedding: Embedding) -> EnrolledFace {
        EnrolledFace(embedding: embedding, detection: detection, quality: quality)
    }
}

extension Embedding {
    /// pgvector's text form, `[x1,x2,…]`.
    var pgvectorText: String { "[" + values.map { "\($0)" }.joined(separator: ",") + "]" }

    init?(pgvectorText text: String) {
        let trimmed = text.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
        let values = trimmed.split(separator: ",").compactMap { Float($0) }
        guard !values.isEmpty else { return nil }
        self.init(unitValues: values)
    }
}

/// A short, stable (FNV-1a) hash for naming per-model database objects.
func stableHash(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x100_0000_01b3
    }
    return String(hash, radix: 16)
}
