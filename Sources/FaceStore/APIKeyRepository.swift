public import FaceMatrixCore
public import Foundation
import Logging
import PostgresNIO

/// API keys kept in PostgreSQL: only a salted hash of each secret is stored, never the secret.
public struct APIKeyRepository: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// A key as stored (no secret).
    public struct StoredKey: Sendable, Equatable {
        public let id: String
        public let role: APIRole
        public let name: String
        public let salt: [UInt8]
        public let secretHash: [UInt8]
        public let createdAt: Date
        public let revokedAt: Date?
    }

    public func insert(id: String, role: APIRole, name: String, salt: [UInt8], secretHash: [UInt8]) async throws {
        try await database.client.query(
            """
            INSERT INTO api_keys (id, role, name, salt, secret_hash)
            VALUES (\(id), \(role.rawValue), \(name), \(Data(salt)), \(Data(secretHash)))
            """, logger: database.logger)
    }

    /// Every key, revoked ones included, oldest first.
    public func all() async throws -> [StoredKey] {
        let rows = try await database.client.query(
            "SELECT id, role, name, salt, secret_hash, created_at, revoked_at FROM api_keys ORDER BY created_at, id",
            logger: database.logger)
        var keys: [StoredKey] = []
        for try await (id, role, name, salt, hash, created, revoked) in rows.decode(
            (String, String, String, Data, Data, Date, Date?).self)
        {
            guard let role = APIRole(rawValue: role) else { continue }
            keys.append(
                StoredKey(
                    id: id, role: role, name: name, salt: [UInt8](salt), secretHash: [UInt8](hash), createdAt: created,
                    revokedAt: revoked))
        }
        return keys
    }

    /// Revokes a key; false when there is no such key or it was revoked already.
    public func revoke(id: String) async throws -> Bool {
        let rows = try await database.client.query(
            "UPDATE api_keys SET revoked_at = now() WHERE id = \(id) AND revoked_at IS NULL RETURNING id",
            logger: database.logger)
        for try await _ in rows.decode(String.self) { return true }
        return false
    }
}
