public import FaceMatrixCore
public import FacePipeline
public import FaceStore
public import Hummingbird
public import ImageDecoding
public import Logging
import ONNXRuntime
public import Prometheus
public import Recognition
import ServiceLifecycle

/// Builds the whole service: models and pipeline, PostgreSQL client (run as a service), store, recognition
/// service, router with every route and middleware; migrations run before the server accepts connections.
public func buildApplication(
    configuration: AppConfiguration,
    metrics: PrometheusCollectorRegistry,
    logger: Logger
) async throws -> some ApplicationProtocol {
    let stack = try RecognitionStack(configuration: configuration, logger: logger)
    let (database, store, service, pipeline) = (stack.database, stack.store, stack.service, stack.pipeline)
    logger.info(
        "models loaded",
        metadata: [
            "embedder": "\(pipeline.modelName) \(pipeline.modelVersion)", "runtime": "\(stack.runtimeDescription)",
            "policy": "\(service.configuration.policy.summary(forGallerySize: 1_000))",
        ])
    if configuration.recognition.identificationThreshold != nil, configuration.recognition.targetWasGiven {
        logger.warning("FACEMATRIX_MATCH_THRESHOLD is set, so FACEMATRIX_TARGET_FAR is ignored")
    }

    let checks =
        readinessChecks(database: database) + [
            ReadinessCheck(name: "onnxruntime") { ONNXRuntimeEnvironment.version },
            ReadinessCheck(name: "models") { "\(pipeline.modelName) \(pipeline.modelVersion)" },
        ]
    let webDirectory = TryItPage.directory()
    if webDirectory == nil {
        logger.warning("the try-it page was not found (set FACEMATRIX_WEB_DIR); `/` answers 404")
    }
    let authenticator = APIKeyAuthenticator(
        configured: configuration.apiKeys, repository: APIKeyRepository(database: database),
        databaseIsReachable: { [breaker = store.breaker] in !breaker.isOpen })
    // With a metrics port, /metrics is served there only, so that it can stay inside the network while the API
    // faces its clients.
    let router = buildRouter(
        checks: checks, service: service, metrics: configuration.metricsPort == nil ? metrics : nil,
        uploadLimit: uploadLimit(for: configuration.pipeline.imageLimits), webDirectory: webDirectory,
        authenticator: authenticator)
    var services: [any Service] = [
        database,
        EnrollmentKeyJanitor(store: store, model: service.model, interval: .seconds(30), logger: logger),
    ]
    if let metricsPort = configuration.metricsPort {
        services.append(
            Application(
                router: buildMetricsRouter(metrics),
                configuration: .init(
                    address: .hostname(configuration.host, port: metricsPort), serverName: "FaceMatrix"),
                logger: logger))
    }
    var app = Application(
        router: router,
        server: HTTPConnectionHandling.server(),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "FaceMatrix"),
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

/// What `serve` runs below HTTP, built once from the configuration: the PostgreSQL client, the store, the
/// pipeline and the recognition service. Other entry points (`facematrix enrol-folder`) use it so that they take
/// exactly the service's code path. Run `database` (a service) while using it.
public struct RecognitionStack: Sendable {
    public let database: Database
    public let store: PostgresFaceStore
    public let pipeline: FacePipeline
    public let service: RecognitionService
    /// The inference runtime, for the log.
    public let runtimeDescription: String

    /// - Parameter waitBudget: overrides `configuration.recognition.waitBudget` (a batch job waits its turn).
    /// - Throws: `DatabaseConfiguration` errors for a bad `DATABASE_URL`, `ModelLoadingError` for a missing or
    ///   damaged model, `AppConfiguration.InvalidValue` for an uncalibrated model without a fixed threshold.
    public init(configuration: AppConfiguration, logger: Logger, waitBudget: Duration? = nil) throws {
        let databaseConfiguration = try DatabaseConfiguration(url: configuration.databaseURL)
        var databaseLogger = logger
        databaseLogger[metadataKey: "component"] = "postgres"
        database = Database(configuration: databaseConfiguration, logger: databaseLogger)
        store = PostgresFaceStore(database: database)
        let (pipeline, backend) = try configuration.pipeline.makePipeline(environment: ONNXRuntimeEnvironment.shared())
        self.pipeline = pipeline
        runtimeDescription = backend.runtimeDescription
        service = RecognitionService(
            analyzer: pipeline, store: store,
            configuration: try configuration.recognition.serviceConfiguration(calibrated: pipeline.thresholds),
            limiter: AdmissionLimiter(
                concurrency: configuration.pipeline.inferenceWorkers, queueLimit: configuration.recognition.queueLimit,
                waitBudget: waitBudget ?? configuration.recognition.waitBudget))
    }
}

/// The largest request body accepted: the image limit plus a mebibyte for the other fields and the multipart
/// framing.
public func uploadLimit(for limits: ImageLimits) -> Int {
    limits.maxBytes + 1_048_576
}

/// The router with every route and middleware, and the try-it page at `/` when `webDirectory` is given; separate from `buildApplication` so tests can drive it directly.
public func buildRouter(
    checks: [ReadinessCheck],
    service: RecognitionService? = nil,
    metrics: PrometheusCollectorRegistry? = nil,
    uploadLimit: Int = uploadLimit(for: ImageLimits()),
    webDirectory: String? = nil,
    authenticator: APIKeyAuthenticator? = nil
) -> Router<AppRequestContext> {
    // HEAD answers wherever GET does, with GET's headers and no body (RFC 9110 §9.3.2).
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    let routes = RouteTable()
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ErrorMiddleware(routes: routes))
    if let authenticator {
        router.add(middleware: APIKeyMiddleware(authenticator: authenticator))
    }
    if let webDirectory {
        // Asked only when no route matched (GET or HEAD); `..` is refused, so nothing outside the folder is served.
        router.add(
            middleware: FileMiddleware(
                webDirectory, cacheControl: .init([(MediaType(type: .any), [.noCache])]), searchForIndexHtml: true))
    }
    HealthRoutes(checks: checks).register(on: router)
    router.get("/openapi.yaml") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
    }
    if let metrics {
        router.get("/metrics") { _, _ in metricsResponse(metrics) }
    }
    if let service {
        RecognitionRoutes(service: service, uploadLimit: uploadLimit).register(on: router)
    }
    routes.record(router)
    return router
}

/// Prometheus' text exposition of `metrics`.
func metricsResponse(_ metrics: PrometheusCollectorRegistry) -> Response {
    Response(
        status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
}

/// `/metrics` alone, for `FACEMATRIX_METRICS_PORT`.
func buildMetricsRouter(_ metrics: PrometheusCollectorRegistry) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.get("/metrics") { _, _ in metricsResponse(metrics) }
    return router
}

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
public func prepareWhenReachable(_ store: PostgresFaceStore, model: ModelIdentity, logger: Logger, attempts: Int = 15)
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
