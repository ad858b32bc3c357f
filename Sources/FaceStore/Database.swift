public import Logging
public import PostgresNIO

/// The service's PostgreSQL: a connection pool (run it as a service) plus the few queries every part needs.
public struct Database: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(configuration: DatabaseConfiguration, logger: Logger) {
        self.client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger)
        self.logger = logger
    }

    /// The installed pgvector version, or nil when the extension is missing.
    public func pgvectorVersion() async throws -> String? {
        let rows = try await client.query(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'", logger: logger)
        for try await version in rows.decode(String.self) { return version }
        return nil
    }

    public func serverVersion() async throws -> String {
        let rows = try await client.query("SHOW server_version", logger: logger)
        for try await version in rows.decode(String.self) { return version }
        return "unknown"
    }
}
