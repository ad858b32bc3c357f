public import FaceMatrixCore
public import Foundation
import Logging
import PostgresNIO

/// API keys kept in PostgreSQL (`api_keys`): only a salted hash of each secret is stored, never the secret.
///
/// Queries go straight to the pool, without the face store's deadline or circuit breaker: errors are PostgresNIO's,
/// untranslated.
public struct APIKeyRepository: Sendable {
    /// The database whose `api_keys` table (migration 3) holds the keys.
    public let database: Database

    /// Reads and writes the keys in `database`.
    public init(database: Database) {
        self.database = database
    }

    /// A key as stored (no secret).
    public struct StoredKey: Sendable, Equatable {
        /// The key's public half, 16 hex digits: the `<id>` of `fmk_<id>_<secret>`.
        public let id: String
        /// What the key may do.
        public let role: APIRole
        /// The operator's label for the key (at most 200 characters); not secret.
        public let name: String
        /// Random bytes hashed before the secret, so equal secrets never share a hash.
        public let salt: [UInt8]
        /// SHA-256 of `salt` followed by the secret, 32 bytes.
        public let secretHash: [UInt8]
        /// When the key was made, by the database's clock.
        public let createdAt: Date
        /// When the key was revoked; nil while it is active.
        public let revokedAt: Date?
    }

    /// Stores a new, active key. The caller makes `id`, `salt` and `secretHash`; the secret never reaches this type.
    ///
    /// - Throws: PostgresNIO's `PSQLError` when the database cannot be reached, the id is taken or the name is longer
    ///   than 200 characters.
    public func insert(id: String, role: APIRole, name: String, salt: [UInt8], secretHash: [UInt8]) async throws {
        try await database.client.query(
            """
            INSERT INTO api_keys (id, role, name, salt, secret_hash)
            VALUES (\(id), \(role.rawValue), \(name), \(Data(salt)), \(Data(secretHash)))
            """,
            logger: database.logger
        )
    }

    /// Every key, revoked ones included, oldest first; a row with a role this build does not know is skipped.
    ///
    /// - Throws: PostgresNIO's errors when the database cannot be reached.
    public func all() async throws -> [StoredKey] {
        let rows = try await database.client.query(
            "SELECT id, role, name, salt, secret_hash, created_at, revoked_at FROM api_keys ORDER BY created_at, id",
            logger: database.logger
        )
        var keys: [StoredKey] = []
        for try await (id, role, name, salt, hash, created, revoked) in rows.decode(
            (String, String, String, Data, Data, Date, Date?).self
        ) {
            guard let role = APIRole(rawValue: role) else { continue }
            keys.append(
                StoredKey(
                    id: id,
                    role: role,
                    name: name,
                    salt: [UInt8](salt),
                    secretHash: [UInt8](hash),
                    createdAt: created,
                    revokedAt: revoked
                )
            )
        }
        return keys
    }

    /// Revokes a key from now on; false when there is no such key or it was revoked already.
    ///
    /// - Throws: PostgresNIO's errors when the database cannot be reached.
    public func revoke(id: String) async throws -> Bool {
        let rows = try await database.client.query(
            "UPDATE api_keys SET revoked_at = now() WHERE id = \(id) AND revoked_at IS NULL RETURNING id",
            logger: database.logger
        )
        for try await _ in rows.decode(String.self) { return true }
        return false
    }
}
