public import FaceStore
public import Hummingbird
public import Logging
public import ONNXRuntime

/// Builds the whole service: router, middleware, PostgreSQL client (run as a service) and start-up migrations.
public func buildApplication(
    configuration: AppConfiguration,
    logger: Logger
) async throws -> some ApplicationProtocol {
    let databaseConfiguration = try DatabaseConfiguration(url: configuration.databaseURL)
    var databaseLogger = logger
    databaseLogger[metadataKey: "component"] = "postgres"
    let database = Database(configuration: databaseConfiguration, logger: databaseLogger)
    let environment = try ONNXRuntimeEnvironment.shared()

    let router = buildRouter(checks: readinessChecks(database: database, onnxRuntime: environment))
    var app = Application(
        router: router,
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "FaceMatrix"),
        services: [database.client],
        logger: logger
    )
    app.beforeServerStarts {
        try await migrateWhenReachable(database, logger: logger)
    }
    return app
}

/// The router with every route and middleware; separate from `buildApplication` so tests can drive it directly.
public func buildRouter(checks: [ReadinessCheck]) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: ErrorMiddleware())
    HealthRoutes(checks: checks).register(on: router)
    return router
}

public func readinessChecks(database: Database, onnxRuntime: ONNXRuntimeEnvironment) -> [ReadinessCheck] {
    [
        ReadinessCheck(name: "database") { try await database.serverVersion() },
        ReadinessCheck(name: "pgvector") {
            guard let version = try await database.pgvectorVersion() else { throw ExtensionMissing(name: "vector") }
            return version
        },
        ReadinessCheck(name: "onnxruntime") {
            _ = onnxRuntime; return ONNXRuntimeEnvironment.version
        },
    ]
}

struct ExtensionMissing: Error, CustomStringConvertible {
    let name: String
    var description: String { "the PostgreSQL extension '\(name)' is not installed in this database" }
}

/// Applies migrations at start. A database that is still starting up gets a few seconds before the service gives up.
func migrateWhenReachable(_ database: Database, logger: Logger, attempts: Int = 15) async throws {
    for attempt in 1...attempts {
        do {
            let applied = try await database.migrate()
            logger.info("database schema is current", metadata: ["applied": "\(applied)"])
            return
        } catch let error as MigrationError {
            throw error
        } catch  where attempt < attempts {
            logger.warning("database not reachable yet", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
            try await Task.sleep(for: .seconds(1))
        }
    }
}
