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
