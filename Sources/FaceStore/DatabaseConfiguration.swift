import Foundation
public import PostgresNIO

/// Where the database is, parsed from a `postgres://user:password@host:port/database` URL.
public struct DatabaseConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// `sslmode=require` demands TLS; `disable` (the default, for the loopback cluster) uses none.
    public var requireTLS: Bool
    public var maximumConnections: Int

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case notAURL
        case unsupportedScheme(String)
        case missingHost
        case missingDatabase
        case unsupportedSSLMode(String)

        public var description: String {
            switch self {
            case .notAURL: "expected postgres://user:password@host:port/database"
            case .unsupportedScheme(let scheme): "scheme '\(scheme)' is not postgres:// or postgresql://"
            case .missingHost: "the URL names no host"
            case .missingDatabase: "the URL names no database"
            case .unsupportedSSLMode(let mode): "sslmode '\(mode)' is not one of disable, prefer, require"
            }
        }
    }

    public init(url: String, maximumConnections: Int = 10) throws(ParseError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme else { throw .notAURL }
        guard scheme == "postgres" || scheme == "postgresql" else { throw .unsupportedScheme(scheme) }
        guard let host = components.host, !host.isEmpty else { throw .missingHost }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw .missingDatabase }
        let sslMode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable"
        guard ["disable", "prefer", "require"].contains(sslMode) else { throw .unsupportedSSLMode(sslMode) }

        self.host = host
        self.port = components.port ?? 5432
        self.username = components.percentEncodedUser?.removingPercentEncoding ?? "postgres"
        self.password = components.percentEncodedPassword?.removingPercentEncoding
        self.database = database
        self.requireTLS = sslMode == "require"
        self.maximumConnections = maximumConnections
    }

    /// The PostgresNIO client configuration; connection attempts give up quickly so that a database outage
    /// surfaces as an error within seconds instead of a hanging request.
    public var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: requireTLS ? .require(.makeClientConfiguration()) : .disable
        )
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(3)
        return configuration
    }

    /// The same server for one connection outside the pool.
    ///
    /// - Throws: NIOSSL's error when the TLS context cannot be made.
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            requireTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(3)
        return configuration
    }
}
