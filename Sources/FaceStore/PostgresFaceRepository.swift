public import FaceMatrixCore
import Foundation
import Logging
import PostgresNIO

/// The face store on PostgreSQL + pgvector: users, faces (a partial HNSW index with `vector_cosine_ops` per model) and
/// enrollment keys. All values travel as bound parameters.
///
/// Every request-time operation is bounded by `operationTimeout` and goes through `breaker`; failures are translated
/// into the error contract: an unreachable, overloaded or slow database becomes `.dependencyUnavailable` (HTTP 503,
/// error_code 610), a registered email `.userAlreadyExists` (409/608), any other database error `.internalError` (500).
public struct PostgresFaceRepository: FaceRepository {
    /// The connection pools every operation goes through.
    public let database: Database
    /// Any single database operation longer than this is treated as the database being unavailable (503, and the
    /// circuit breaker opens).
    public var operationTimeout: Duration = .seconds(5)
    /// How many nearest faces are read to find the best two users (a user may own several of them).
    public var neighbours = 32
    /// pgvector's `hnsw.ef_search` for every search: the candidate list the HNSW walk keeps. At most 1,000 (pgvector's
    /// limit), at least `neighbours`.
    public var efSearch = Self.defaultEfSearch
    /// pgvector's default, 40, found the enrolled person first for only 86.7 % of genuine probes among 100,000 faces;
    /// 200 finds 99.8 % in this project's index, p99 10.1 ms (bench/results/gallery-scaling-20261130T0255).
    public static let defaultEfSearch = 200
    /// `ef_construction` of new HNSW indexes (pgvector's default is 64): among 100,000 LFW-like faces at ef_search
    /// 200, 128 found the enrolled person first for 99.8 % of genuine probes against 99.4 % with 64, for inserts
    /// about twice as slow (p50 8.8 ms against 4.4 ms; bench/results/gallery-scaling-20261130T0255).
    static let efConstruction = 128
    /// Refuses operations at once while the database is known to be unreachable.
    public let breaker: CircuitBreaker
    /// Each model's number of users, read at most every few seconds instead of at every search.
    let gallerySizes = GallerySizeCache()

    /// Serialises enrollments, so two requests can never enrol the same face (or consume one key) side by side.
    static let enrollmentLockKey: Int64 = 0x4661_6365_456e_726c  // "FaceEnrl"

    /// A store on `database`, with a circuit breaker whose probe connects outside the pool and, once the database
    /// answers, replaces the pool (which may still be backing off).
    public init(database: Database) {
        self.database = database
        // The probe goes around the pool, which may still be backing off, and a pool that has been failing is
        // replaced once the database answers.
        breaker = CircuitBreaker {
            try await database.probe()
            database.replacePool()
        }
    }

    var logger: Logger { database.logger }

    /// Throws `.dependencyUnavailable` (503/610) while the circuit breaker is open; contacts nothing.
    public func checkAvailable() throws {
        try breaker.check()
    }

    /// Applies the migrations, then creates `model`'s partial HNSW index over `embedding::vector(dimension)` if it is
    /// missing, under the migration advisory lock so that starting processes take turns. Neither has a deadline: an
    /// index over an existing gallery takes minutes (804 s for 1,000,000 faces on two cores, with the server's
    /// `maintenance_work_mem` large enough to hold the graph, 1.3 GiB there), and a deadline would only cancel the
    /// build at every start.
    ///
    /// - Throws: `MigrationError`; `.internalError` when the model key has characters other than ASCII letters, digits
    ///   and `-_.@`, or the dimension is outside 1…16,000; PostgresNIO's errors otherwise.
    public func prepare(for model: ModelIdentity) async throws {
        try await database.migrate()
        // One partial HNSW index per model: the column holds vectors of any dimension, an index needs one.
        // DDL takes no bound parameters, so the model key is checked to be plain before it is quoted in.
        guard model.key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.@".contains($0)) }),
            (1...16_000).contains(model.dimension)
        else { throw FaceMatrixError.internalError }
        let indexName = "faces_hnsw_\(stableHash(model.key))"
        try await database.client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Database.migrationLockKey))", logger: logger)
            // The faces are counted only when the index is missing: at every other start the count would read the
            // whole gallery for nothing.
            let rows = try await connection.query(
                """
                SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = \(indexName)) THEN NULL
                            ELSE (SELECT count(*)::int FROM faces WHERE model = \(model.key)) END,
                       current_setting('maintenance_work_mem')
                """,
                logger: logger
            )
            for try await (facesToIndex, memory) in rows.decode((Int?, String).self) {
                guard let facesToIndex else { continue }
                logger.info(
                    "building the HNSW index of \(model.key) over \(facesToIndex) faces (maintenance_work_mem \(memory)); over a large gallery this takes minutes"
                )
            }
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE INDEX IF NOT EXISTS \(indexName) ON faces
                        USING hnsw ((embedding::vector(\(model.dimension))) vector_cosine_ops)
                        WITH (m = 16, ef_construction = \(Self.efConstruction))
                        WHERE model = '\(model.key)'
                        """
                ),
                logger: logger
            )
        }
    }

    /// Runs one database operation with a time limit, translating database failures into the error contract:
    /// an unreachable or failing server becomes `.dependencyUnavailable` (503), a taken email `.userAlreadyExists`.
    func perform<Result: Sendable>(
        timeout: Duration? = nil,
        throughBreaker: Bool = true,
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
            // Of the unique constraints, only the email's can be broken by a caller; ids and keys are random.
            if state == "23505", error.serverInfo?[.constraintName] == "users_email_unique" {
                return .userAlreadyExists("the email address is already registered")
            }
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
