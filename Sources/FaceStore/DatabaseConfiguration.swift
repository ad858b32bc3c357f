import Foundation
public import PostgresNIO

/// Where the database is, parsed from a `postgres://user:password@host:port/database` URL.
public struct DatabaseConfiguration: Sendable, Equatable {
    /// The server's host name or address.
    public var host: String
    /// The server's TCP port; 5432 when the URL names none.
    public var port: Int
    /// The role to log in as, percent-decoded; `postgres` when the URL names none.
    public var username: String
    /// The password, percent-decoded; nil when the URL has none.
    public var password: String?
    /// The database's name: the URL's path without its leading slash.
    public var database: String
    /// `sslmode=require` demands TLS (the server's certificate verified); `disable` (the default, for the loopback
    /// cluster) and `prefer` use none.
    public var requireTLS: Bool
    /// The most connections the pool keeps open at once.
    public var maximumConnections: Int

    /// Why a `DATABASE_URL` cannot be used; `description` says so in one line for the operator.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        /// Not a URL with a scheme.
        case notAURL
        /// A scheme other than `postgres` or `postgresql`.
        case unsupportedScheme(String)
        /// No host.
        case missingHost
        /// No database name in the path.
        case missingDatabase
        /// An `sslmode` other than `disable`, `prefer` or `require`.
        case unsupportedSSLMode(String)

        /// What is wrong, with the form expected.
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

    /// Parses `postgres://user:password@host:port/database`, `postgresql://` alike, with an optional `?sslmode=`.
    ///
    /// - Parameter maximumConnections: the pool's size.
    /// - Throws: `ParseError` naming what is missing or unsupported.
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

    /// The PostgresNIO pool's configuration: no idle connections kept, and a connection attempt gives up after 3 s, so
    /// that a database outage surfaces as an error within seconds instead of a hanging request.
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

    /// The same server for one connection outside the pool (the circuit breaker's probe), with the same 3 s connect
    /// timeout.
    ///
    /// - Throws: NIOSSL's error when the TLS context cannot be made.
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            requireTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
        var configuration = PostgresConnection.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: tls
        )
        configuration.options.connectTimeout = .seconds(3)
        return configuration
    }
}
