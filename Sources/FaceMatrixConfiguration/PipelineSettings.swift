public import FaceInference
import FaceMatrixCore
public import FacePipeline
import Foundation
public import ImageDecoding

/// How the face pipeline is built: models, image limits, detector tuning and inference threads. Read from the
/// environment by both the service and the command-line tools.
public struct PipelineSettings: Sendable {
    /// `FACEMATRIX_MODEL_DIR`: the folder of the models and their manifests; `defaultModelDirectory()` by default.
    public var modelDirectory: String
    /// `FACEMATRIX_EMBEDDER`: which embedder's manifest to load; `FaceModels.defaultEmbedder` by default.
    public var embedderName: String
    /// `FACEMATRIX_MAX_IMAGE_BYTES` (1,000…200,000,000) and `FACEMATRIX_MAX_IMAGE_PIXELS` (10,000…500,000,000): a photo
    /// over either is refused (413, error_code 603).
    public var imageLimits: ImageLimits
    /// The MTCNN detector's tuning: `FACEMATRIX_MIN_FACE_SIZE` (pixels, 12…1000), `FACEMATRIX_MIN_FACE_FRACTION` (of the
    /// shorter side, 0…1), `FACEMATRIX_MIN_FACE_CONFIDENCE`, and
    /// the per-stage `FACEMATRIX_DETECTION_THRESHOLDS` (P-, R-, O-Net) and `FACEMATRIX_NMS_THRESHOLDS` (four), each
    /// 0…1.
    public var detection: MTCNNConfiguration
    /// `FACEMATRIX_INFERENCE_WORKERS` (1…256): networks that may run at the same time, and the admission limiter's
    /// slots; one more than the processor count by default (`defaultInferenceWorkers`).
    public var inferenceWorkers: Int
    /// `FACEMATRIX_INTRA_OP_THREADS` (1…256): threads one network run may use. On a busy 2-core server 1 gives the best
    /// throughput (see bench/).
    public var intraOpThreads: Int
    /// `FACEMATRIX_INFERENCE` (`openvino`, `onnxruntime` or `triton`): what runs the networks; `defaultInference`
    /// by default.
    public var inference: InferenceRuntime
    /// `FACEMATRIX_TRITON_URL`: the Triton server's HTTP endpoint when `inference` is `.triton`.
    public var tritonURL: String
    /// `FACEMATRIX_TRITON_TIMEOUT_MS` (100…600,000): the longest one call to Triton may take.
    public var tritonTimeout: Duration

    /// Settings given in code; the defaults are those the environment reader falls back to.
    public init(
        modelDirectory: String = PipelineSettings.defaultModelDirectory(),
        embedderName: String = FaceModels.defaultEmbedder,
        imageLimits: ImageLimits = ImageLimits(),
        detection: MTCNNConfiguration = MTCNNConfiguration(),
        inferenceWorkers: Int = PipelineSettings.defaultInferenceWorkers,
        intraOpThreads: Int = PipelineSettings.defaultIntraOpThreads,
        inference: InferenceRuntime = PipelineSettings.defaultInference,
        tritonURL: String = "http://127.0.0.1:8000",
        tritonTimeout: Duration = .seconds(10)
    ) {
        self.modelDirectory = modelDirectory
        self.embedderName = embedderName
        self.imageLimits = imageLimits
        self.detection = detection
        self.inferenceWorkers = inferenceWorkers
        self.intraOpThreads = intraOpThreads
        self.inference = inference
        self.tritonURL = tritonURL
        self.tritonTimeout = tritonTimeout
    }

    /// The processors this process may use.
    public static var processorCount: Int { ProcessInfo.processInfo.activeProcessorCount }
    /// One photo more than the processors: while one photo is decoded, searched or answered, the others' networks keep
    /// every core busy. On 2 cores under 8 VUs, 3 workers answered 74.8 recognitions a second against 62.7–65.6 with 2
    /// (bench/results/load-20261130T0713, -0702, -0721), the machine 96 % busy instead of 88 %.
    public static var defaultInferenceWorkers: Int { processorCount + 1 }
    /// One thread per network run: under load, parallel requests use the cores better than parallel operators.
    public static let defaultIntraOpThreads = 1
    /// OpenVINO: end to end it serves PLACEHOLDER.
    public static let defaultInference = InferenceRuntime.openvino

    /// `make models`' output: `$FACEMATRIX_CACHE/models`, the cache being `~/.cache/facematrix` by default.
    public static func defaultModelDirectory() -> String {
        defaultModelDirectory(environment: ProcessInfo.processInfo.environment)
    }

    /// `defaultModelDirectory()` for a given environment.
    public static func defaultModelDirectory(environment: [String: String]) -> String {
        "\(cacheDirectory(environment: environment))/models"
    }

    /// Where downloads, models, builds and evaluation caches live: `FACEMATRIX_CACHE`, else `~/.cache/facematrix`.
    public static func cacheDirectory(environment: [String: String]) -> String {
        let reader = EnvironmentReader(environment: environment)
        return reader.value("FACEMATRIX_CACHE") ?? "\(reader.value("HOME") ?? "/root")/.cache/facematrix"
    }

    /// `cacheDirectory(environment:)` for this process's environment.
    public static func cacheDirectory() -> String {
        cacheDirectory(environment: ProcessInfo.processInfo.environment)
    }

    /// Reads the settings from the environment (see the README's table); every default is the types' own.
    ///
    /// - Throws: `ConfigurationError` naming the first variable that is not a number in its range.
    public init(environment: [String: String]) throws(ConfigurationError) {
        let reader = EnvironmentReader(environment: environment)
        let defaults = PipelineSettings(modelDirectory: Self.defaultModelDirectory(environment: environment))
        self.init(
            modelDirectory: try reader.string("FACEMATRIX_MODEL_DIR", default: defaults.modelDirectory),
            embedderName: try reader.string("FACEMATRIX_EMBEDDER", default: defaults.embedderName),
            imageLimits: ImageLimits(
                maxBytes: try reader.integer(
                    "FACEMATRIX_MAX_IMAGE_BYTES",
                    default: defaults.imageLimits.maxBytes,
                    in: 1_000...200_000_000
                ),
                maxPixels: try reader.integer(
                    "FACEMATRIX_MAX_IMAGE_PIXELS",
                    default: defaults.imageLimits.maxPixels,
                    in: 10_000...500_000_000
                )
            ),
            detection: try Self.detection(reader, defaults: defaults.detection),
            inferenceWorkers: try reader.integer(
                "FACEMATRIX_INFERENCE_WORKERS",
                default: defaults.inferenceWorkers,
                in: 1...256
            ),
            intraOpThreads: try reader.integer(
                "FACEMATRIX_INTRA_OP_THREADS",
                default: defaults.intraOpThreads,
                in: 1...256
            ),
            inference: try reader.choice("FACEMATRIX_INFERENCE", default: defaults.inference),
            tritonURL: try reader.string("FACEMATRIX_TRITON_URL", default: defaults.tritonURL),
            tritonTimeout: .milliseconds(
                try reader.integer("FACEMATRIX_TRITON_TIMEOUT_MS", default: 10_000, in: 100...600_000)
            )
        )
        if inference == .triton { try Self.checkTritonURL(tritonURL) }
    }

    /// An `http://` or `https://` URL with a host, checked at start rather than found out by a minute of retries.
    private static func checkTritonURL(_ url: String) throws(ConfigurationError) {
        let components = URLComponents(string: url)
        guard let scheme = components?.scheme?.lowercased(), ["http", "https"].contains(scheme),
            components?.host?.isEmpty == false
        else {
            throw .init(
                variable: "FACEMATRIX_TRITON_URL",
                reason: "must be an http:// URL of Triton's HTTP endpoint such as http://127.0.0.1:8000, got '\(url)'"
            )
        }
    }

    private static func detection(_ reader: EnvironmentReader, defaults: MTCNNConfiguration)
        throws(ConfigurationError) -> MTCNNConfiguration
    {
        var detection = defaults
        detection.minimumFaceSize = try reader.double(
            "FACEMATRIX_MIN_FACE_SIZE",
            default: defaults.minimumFaceSize,
            in: 12...1000
        )
        detection.minimumFaceFraction = try reader.double(
            "FACEMATRIX_MIN_FACE_FRACTION",
            default: defaults.minimumFaceFraction,
            in: 0...1
        )
        detection.minimumConfidence = Float(
            try reader.double(
                "FACEMATRIX_MIN_FACE_CONFIDENCE",
                default: Double(defaults.minimumConfidence),
                in: 0...1
            )
        )
        let (p, r, o) = defaults.thresholds
        let thresholds = try reader.doubles(
            "FACEMATRIX_DETECTION_THRESHOLDS",
            default: [p, r, o].map(Double.init),
            count: 3,
            in: 0...1
        )
        detection.thresholds = (Float(thresholds[0]), Float(thresholds[1]), Float(thresholds[2]))
        let (level, all, rnet, onet) = defaults.nmsThresholds
        let nms = try reader.doubles(
            "FACEMATRIX_NMS_THRESHOLDS",
            default: [level, all, rnet, onet].map(Double.init),
            count: 4,
            in: 0...1
        )
        detection.nmsThresholds = (Float(nms[0]), Float(nms[1]), Float(nms[2]), Float(nms[3]))
        return detection
    }

    /// Loads the models' manifests and checks every file against its sha256.
    ///
    /// - Throws: `ModelLoadingError` naming the missing or damaged file.
    public func loadModels() throws(ModelLoadingError) -> FaceModels {
        try FaceModels(directory: modelDirectory, embedder: embedderName)
    }

    /// Loads the models (checking their sha256) and builds the pipeline on the chosen runtime.
    ///
    /// - Throws: `ModelLoadingError` for a missing, damaged or incompatible model; the runtime's error
    ///   (`ONNXRuntimeError`, `OpenVINOError`) when it cannot load one.
    public func makePipeline() throws -> (FaceAnalysisPipeline, any InferenceBackend) {
        try makePipeline(models: try loadModels())
    }

    /// Builds the pipeline on the chosen runtime from models loaded once by the caller, with `inferenceWorkers` runs
    /// at once of `intraOpThreads` threads each.
    ///
    /// - Throws: the runtime's error (`ONNXRuntimeError`, `OpenVINOError`) when it cannot load a model;
    ///   `ModelLoadingError` when the embedder's manifest lacks what the pipeline needs.
    public func makePipeline(models: FaceModels) throws -> (FaceAnalysisPipeline, any InferenceBackend) {
        let backend = try makeBackend(models: models)
        let pipeline = try FaceAnalysisPipeline(
            models: models,
            backend: backend,
            imageLimits: imageLimits,
            detection: detection
        )
        return (pipeline, backend)
    }
}
