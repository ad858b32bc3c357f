import Logging
public import PostgresNIO

/// One step of the schema's history. Steps are applied in order, each once; the missing ones all in one transaction, so
/// a failing step leaves the schema as it was.
public struct Migration: Sendable {
    /// The step's place in the history, strictly increasing; recorded in `schema_migrations`.
    public let version: Int
    /// A short description, recorded beside the version.
    public let name: String
    /// The SQL to run, in order.
    public let statements: [PostgresQuery]

    /// Describes one step.
    public init(version: Int, name: String, statements: [PostgresQuery]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

/// Why `migrate` refused to touch the schema. Not worth a retry: `prepareWhenReachable` stops at once.
public enum MigrationError: Error, CustomStringConvertible {
    /// The steps' versions do not strictly increase; this one is the first out of order.
    case outOfOrder(Int)
    /// A newer build migrated the database past the newest step this one knows; it stops rather than run on a schema it
    /// does not understand.
    case databaseIsNewer(applied: Int, known: Int)

    /// One line for the operator.
    public var description: String {
        switch self {
        case .outOfOrder(let version): "migration \(version) is out of order"
        case .databaseIsNewer(let applied, let known):
            "the database schema is at version \(applied) but this build only knows up to \(known); upgrade FaceMatrix"
        }
    }
}

extension Database {
    /// A fixed key for `pg_advisory_xact_lock`, so two processes starting at once apply migrations one after the
    /// other instead of racing (the loser then finds nothing left to do).
    static let migrationLockKey: Int64 = 0x4661_6365_4d61_7478  // "FaceMatx"

    /// Brings the schema up to the newest version; returns the versions it applied (empty when it was current).
    ///
    /// Every missing step runs in one transaction that first takes a `pg_advisory_xact_lock`, so processes that start
    /// together apply them once, one after the other. No deadline of its own: it waits for the pool.
    ///
    /// - Throws: `MigrationError` for steps out of order or a database at a version this build does not know;
    ///   PostgresNIO's `PostgresTransactionError` when the server cannot be reached or a statement fails (nothing is
    ///   applied then).
    @discardableResult
    public func migrate(_ migrations: [Migration] = Database.migrations) async throws -> [Int] {
        for (previous, next) in zip(migrations, migrations.dropFirst()) where next.version <= previous.version {
            throw MigrationError.outOfOrder(next.version)
        }
        let newest = migrations.last?.version ?? 0
        await waitUntilRunning()
        do {
            return try await applyMissing(migrations, newest: newest)
        } catch let error as PostgresTransactionError {
            // Surface our own refusal rather than the transaction wrapper around it.
            if let refusal = error.closureError as? MigrationError { throw refusal }
            throw error
        }
    }

    private func applyMissing(_ migrations: [Migration], newest: Int) async throws -> [Int] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                logger: logger
            )
            var applied: Set<Int> = []
            for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger)
                .decode(Int.self)
            {
                applied.insert(version)
            }
            if let highest = applied.max(), highest > newest {
                throw MigrationError.databaseIsNewer(applied: highest, known: newest)
            }
            var newlyApplied: [Int] = []
            for migration in migrations where !applied.contains(migration.version) {
                logger.info(
                    "applying migration",
                    metadata: ["version": "\(migration.version)", "name": "\(migration.name)"]
                )
                for statement in migration.statements {
                    try await connection.query(statement, logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger
                )
                newlyApplied.append(migration.version)
            }
            return newlyApplied
        }
    }

    /// The schema's history. Append only: never edit a step that has shipped.
    public static let migrations: [Migration] = [
        Migration(
            version: 1,
            name: "pgvector",
            statements: ["CREATE EXTENSION IF NOT EXISTS vector"]
        ),
        Migration(
            version: 2,
            name: "users, faces, enrollment keys",
            statements: [
                """
                CREATE TABLE users (
                    id text PRIMARY KEY,
                    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
                    birthdate date NOT NULL,
                    email text,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE UNIQUE INDEX users_email_unique ON users (lower(email)) WHERE email IS NOT NULL",
                """
                CREATE TABLE faces (
                    id bigserial PRIMARY KEY,
                    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                    model text NOT NULL,
                    embedding vector NOT NULL,
                    face jsonb NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE INDEX faces_user ON faces (user_id)",
                "CREATE INDEX faces_model ON faces (model)",
                """
                CREATE TABLE enrollment_keys (
                    req_id text PRIMARY KEY,
                    model text NOT NULL,
                    embedding vector NOT NULL,
                    face jsonb NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    expires_at timestamptz NOT NULL
                )
                """,
                "CREATE INDEX enrollment_keys_expiry ON enrollment_keys (expires_at)",
            ]
        ),
        Migration(
            version: 3,
            name: "api keys",
            statements: [
                """
                CREATE TABLE api_keys (
                    id text PRIMARY KEY,
                    role text NOT NULL CHECK (role IN ('recognise', 'admin')),
                    name text NOT NULL CHECK (length(name) <= 200),
                    salt bytea NOT NULL,
                    secret_hash bytea NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    revoked_at timestamptz
                )
                """
            ]
        ),
    ]
}
