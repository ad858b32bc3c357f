import FaceStore
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing

/// Paths and services the integration tests need; `make test` provides all of them.
enum TestEnvironment {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    static var cacheDirectory: String {
        environment["FACEMATRIX_CACHE"] ?? "\(environment["HOME"] ?? "/root")/.cache/facematrix"
    }

    static var venvPython: String {
        "\(environment["FACEMATRIX_VENV"] ?? "\(cacheDirectory)/venv")/bin/python"
    }

    static var databaseURL: String {
        get throws {
            guard let url = environment["DATABASE_URL"], !url.isEmpty else {
                throw MissingPrerequisite("DATABASE_URL is not set: run the integration tests through `make test`")
            }
            return url
        }
    }

    static let logger: Logger = {
        var logger = Logger(label: "facematrix.tests")
        // PostgresNIO warns when a query is queued before the pool's run() task has started; harmless here.
        logger.logLevel = .error
        return logger
    }()

    /// What a finished process left: how it ended and what it printed.
    struct Execution {
        let status: Int32
        let reason: Process.TerminationReason
        let stdout: String
        let stderr: String
    }

    /// Runs an executable to its end.
    static func execute(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws
        -> Execution
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Execution(
            status: process.terminationStatus,
            reason: process.terminationReason,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self)
        )
    }

    /// Runs an executable and returns its standard output; throws with its standard error when it fails.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let execution = try execute(executable, arguments)
        guard execution.status == 0 else {
            throw MissingPrerequisite(
                "\(executable) \(arguments.joined(separator: " ")) failed: \(execution.stderr)"
            )
        }
        return execution.stdout
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("facematrix-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

struct MissingPrerequisite: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` with a PostgresClient that is running for exactly the duration of the call.
func withRunningClient<Result: Sendable>(
    _ client: PostgresClient,
    _ body: @Sendable () async throws -> Result
) async throws -> Result {
    try await whileRunning({ await client.run() }, body)
}

/// Runs `body` with the database's pools running for exactly the duration of the call.
func withRunning<Result: Sendable>(
    _ database: Database,
    _ body: @Sendable () async throws -> Result
) async throws -> Result {
    try await whileRunning({ await database.run() }, body)
}

private func whileRunning<Result: Sendable>(
    _ run: @escaping @Sendable () async -> Void,
    _ body: @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await run() }
        do {
            let result = try await body()
            group.cancelAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

/// Gives the test a database of its own (created empty, dropped afterwards), so tests can run in parallel.
func withFreshDatabase<Result: Sendable>(
    logger: Logger = TestEnvironment.logger,
    _ body: @Sendable (Database, DatabaseConfiguration) async throws -> Result
) async throws -> Result {
    let adminConfiguration = try DatabaseConfiguration(url: try TestEnvironment.databaseURL)
    let admin = PostgresClient(
        configuration: adminConfiguration.clientConfiguration,
        backgroundLogger: TestEnvironment.logger
    )
    let name = "facematrix_test_\(UUID().uuidString.prefix(8).lowercased())"
    return try await withRunningClient(admin) {
        try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        var databaseConfiguration = adminConfiguration
        databaseConfiguration.database = name
        let configuration = databaseConfiguration
        let database = Database(configuration: configuration, logger: logger)
        do {
            let result = try await withRunning(database) { try await body(database, configuration) }
            try await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"))
            return result
        } catch {
            _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"))
            throw error
        }
    }
}

/// Keeps every log record in memory, so that a test can read what the service would have logged.
final class CapturedLogs: Sendable {
    private let records = Mutex<[String]>([])

    var lines: [String] { records.withLock { $0 } }

    func append(_ line: String) { records.withLock { $0.append(line) } }

    /// A logger at `level` that writes here.
    func logger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "facematrix.captured") { label in Handler(label: label, sink: self) }
        logger.logLevel = level
        return logger
    }

    struct Handler: LogHandler {
        let label: String
        let sink: CapturedLogs
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            sink.append("\(event.level) \(event.source) \(event.message) \(all)")
        }
    }
}
