public import FaceMatrixCore
import FacePipeline
public import FaceStore
public import Hummingbird
import ImageDecoding
public import Logging
public import Prometheus
import Recognition
import ServiceLifecycle

/// Builds the whole service: models and pipeline, PostgreSQL client (run as a service), store, recognition
/// service, router with every route and middleware; migrations run before the server accepts connections.
///
/// - Throws: as `RecognitionStack.init`: a bad `DATABASE_URL`, a missing or damaged model, an uncalibrated model
///   without a fixed threshold. What fails at start (migrations, a database that never answers) is thrown by the
///   application's run instead.
public func buildApplication(
    configuration: AppConfiguration,
    metrics: PrometheusCollectorRegistry,
    logger: Logger
) async throws -> some ApplicationProtocol {
    let stack = try RecognitionStack(configuration: configuration, logger: logger)
    try await stack.backend.prepare()
    let (database, store, service, pipeline) = (stack.database, stack.store, stack.service, stack.pipeline)
    logger.info(
        "models loaded",
        metadata: [
            "embedder": "\(pipeline.modelName) \(pipeline.modelVersion)",
            "runtime": "\(stack.backend.runtimeDescription)",
            "policy": "\(service.configuration.policy.summary(forGallerySize: 1_000))",
        ]
    )
    if configuration.recognition.identificationThreshold != nil, configuration.recognition.targetWasGiven {
        logger.warning("FACEMATRIX_MATCH_THRESHOLD is set, so FACEMATRIX_TARGET_FAR is ignored")
    }

    let checks =
        readinessChecks(database: database) + [
            ReadinessCheck(name: "inference") { [backend = stack.backend] in try await backend.checkReady() },
            ReadinessCheck(name: "models") { "\(pipeline.modelName) \(pipeline.modelVersion)" },
        ]
    let webDirectory = TryItPage.directory()
    if webDirectory == nil {
        logger.warning("the try-it page was not found (set FACEMATRIX_WEB_DIR); `/` answers 404")
    }
    let authenticator = APIKeyAuthenticator(
        configured: configuration.apiKeys,
        repository: APIKeyRepository(database: database),
        databaseIsReachable: { [breaker = store.breaker] in !breaker.isOpen }
    )
    // With a metrics port, /metrics is served there only, so that it can stay inside the network while the API
    // faces its clients.
    let router = buildRouter(
        checks: checks,
        service: service,
        metrics: configuration.metricsPort == nil ? metrics : nil,
        uploadLimit: uploadLimit(for: configuration.pipeline.imageLimits),
        webDirectory: webDirectory,
        authenticator: authenticator
    )
    var services: [any Service] = [
        database,
        EnrollmentKeyJanitor(store: store, model: service.model, interval: .seconds(30), logger: logger),
    ]
    if let metricsPort = configuration.metricsPort {
        services.append(
            Application(
                router: buildMetricsRouter(metrics),
                configuration: .init(
                    address: .hostname(configuration.host, port: metricsPort),
                    serverName: "FaceMatrix"
                ),
                logger: logger
            )
        )
    }
    var app = Application(
        router: router,
        server: HTTPConnectionHandling.server(),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "FaceMatrix"
        ),
        services: services,
        logger: logger
    )
    app.beforeServerStarts {
        // Ctrl-C or SIGTERM while the database is still unreachable ends the wait instead of sitting it out.
        try await cancelWhenGracefulShutdown {
            try await prepareWhenReachable(store, model: service.model, logger: logger)
        }
        // Read once now for the log line; a slow answer is no reason not to start (requests read them again).
        guard let keys = try? await authenticator.activeKeyCount(),
            let required = try? await authenticator.keysAreRequired()
        else {
            logger.warning("the API keys could not be read yet; requests will be refused until they can")
            return
        }
        if keys == 0 && required {
            logger.warning(
                "API keys are on but every key is revoked: every /api/ request is refused until one is made with `facematrix keys create` or FACEMATRIX_API_KEYS"
            )
        } else if keys == 0 {
            logger.warning(
                "API keys are off: anyone who can reach this service can recognise, enrol and erase people; set FACEMATRIX_API_KEYS or run `facematrix keys create`"
            )
        } else {
            logger.info("API keys are on", metadata: ["keys": "\(keys)"])
        }
    }
    return app
}

/// The database's checks for `GET /health/ready`: `database` (the server's version) and `pgvector` (the extension's
/// version; not ready when it is not installed).
public func readinessChecks(database: Database) -> [ReadinessCheck] {
    [
        ReadinessCheck(name: "database") { try await database.serverVersion() },
        ReadinessCheck(name: "pgvector") {
            guard let version = try await database.pgvectorVersion() else { throw ExtensionMissing(name: "vector") }
            return version
        },
    ]
}

struct ExtensionMissing: Error, CustomStringConvertible {
    let name: String
    var description: String { "the PostgreSQL extension '\(name)' is not installed in this database" }
}

/// Applies migrations and prepares the store at start. A database that is still starting up gets a few seconds
/// before the service gives up.
///
/// - Parameter attempts: tries at most, one second apart; at least 1.
/// - Throws: `MigrationError` at once; otherwise the last attempt's error.
public func prepareWhenReachable(
    _ store: PostgresFaceRepository,
    model: ModelIdentity,
    logger: Logger,
    attempts: Int = 15
)
    async throws
{
    for attempt in 1...attempts {
        do {
            try await store.prepare(for: model)
            logger.info("database schema is current", metadata: ["model": "\(model.key)"])
            return
        } catch let error as MigrationError {
            throw error
        } catch  where attempt < attempts {
            logger.warning("database not reachable yet", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
            try await Task.sleep(for: .seconds(1))
        }
    }
}
