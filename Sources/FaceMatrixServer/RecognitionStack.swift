public import FaceInference
import FaceMatrixCore
public import FacePipeline
public import FaceStore
import Hummingbird
import ImageDecoding
public import Logging
import Prometheus
public import Recognition
import ServiceLifecycle

/// What `serve` runs below HTTP, built once from the configuration: the PostgreSQL client, the store, the
/// pipeline and the recognition service. Other entry points (`facematrix enrol-folder`) use it so that they take
/// exactly the service's code path. Run `database` (a service) while using it.
public struct RecognitionStack: Sendable {
    /// The PostgreSQL pools; run it (a service) while the stack is in use.
    public let database: Database
    /// The face store on `database`.
    public let store: PostgresFaceRepository
    /// The face pipeline on the configured runtime, carrying its manifest's calibrated thresholds.
    public let pipeline: FaceAnalysisPipeline
    /// The use cases, on `store` and `pipeline`, behind an admission limiter of `inferenceWorkers` slots.
    public let service: RecognitionService
    /// What runs the networks: named in the log and asked by the readiness check.
    public let backend: any InferenceBackend

    /// - Parameter waitBudget: overrides `configuration.recognition.waitBudget` (a batch job waits its turn).
    /// - Throws: `DatabaseConfiguration` errors for a bad `DATABASE_URL`, `ModelLoadingError` for a missing or
    ///   damaged model, `AppConfiguration.InvalidValue` for an uncalibrated model without a fixed threshold.
    public init(configuration: AppConfiguration, logger: Logger, waitBudget: Duration? = nil) throws {
        let databaseConfiguration = try DatabaseConfiguration(url: configuration.databaseURL)
        var databaseLogger = logger
        databaseLogger[metadataKey: "component"] = "postgres"
        database = Database(configuration: databaseConfiguration, logger: databaseLogger)
        var store = PostgresFaceRepository(database: database)
        store.operationTimeout = configuration.databaseTimeout
        store.efSearch = configuration.efSearch
        self.store = store
        (pipeline, backend) = try configuration.pipeline.makePipeline()
        service = RecognitionService(
            analyzer: pipeline,
            store: store,
            configuration: try configuration.recognition.serviceConfiguration(calibrated: pipeline.thresholds),
            limiter: AdmissionLimiter(
                concurrency: configuration.pipeline.inferenceWorkers,
                queueLimit: configuration.recognition.queueLimit,
                waitBudget: waitBudget ?? configuration.recognition.waitBudget
            )
        )
    }
}
