public import FaceInference
import FaceMatrixCore
public import FacePipeline
import Foundation
public import ImageDecoding
public import ONNXRuntime

/// How the face pipeline is built: models, image limits, detector tuning and inference threads. Read from the
/// environment by both the service and the command-line tools.
public struct PipelineSettings: Sendable {
    public var modelDirectory: String
    public var embedderName: String
    public var imageLimits: ImageLimits
    public var detection: MTCNNConfiguration
    /// Networks that may run at the same time; more than the machine's cores only adds queueing inside ONNX Runtime.
    public var inferenceWorkers: Int
    /// Threads one network run may use. On a busy 2-core server 1 gives the best throughput (see bench/).
    public var intraOpThreads: Int

    public init(
        modelDirectory: String = AppConfiguration.defaultModelDirectory,
        embedderName: String = FaceModels.defaultEmbedder,
        imageLimits: ImageLimits = ImageLimits(),
        detection: MTCNNConfiguration = MTCNNConfiguration(),
        inferenceWorkers: Int = PipelineSettings.processorCount,
        intraOpThreads: Int = 1
    ) {
        self.modelDirectory = modelDirectory
        self.embedderName = embedderName
        self.imageLimits = imageLimits
        self.detection = detection
        self.inferenceWorkers = inferenceWorkers
        self.intraOpThreads = intraOpThreads
    }

    public static var processorCount: Int { ProcessInfo.processInfo.activeProcessorCount }

    public init(environment: [String: String]) throws(AppConfiguration.InvalidValue) {
        let reader = EnvironmentReader(environment: environment)
        var detection = MTCNNConfiguration()
        detection.minimumFaceSize = try reader.double("FACEMATRIX_MIN_FACE_SIZE", default: 20, in: 12...1000)
        detection.minimumConfidence = Float(
            try reader.double("FACEMATRIX_MIN_FACE_CONFIDENCE", default: 0.9, in: 0...1))
        let thresholds = try reader.doubles(
            "FACEMATRIX_DETECTION_THRESHOLDS", default: [0.6, 0.7, 0.7], count: 3, in: 0...1)
        detection.thresholds = (Float(thresholds[0]), Float(thresholds[1]), Float(thresholds[2]))
        let nms = try reader.doubles("FACEMATRIX_NMS_THRESHOLDS", default: [0.5, 0.7, 0.7, 0.7], count: 4, in: 0...1)
        detection.nmsThresholds = (Float(nms[0]), Float(nms[1]), Float(nms[2]), Float(nms[3]))
        self.init(
            modelDirectory: try reader.string("FACEMATRIX_MODEL_DIR", default: AppConfiguration.defaultModelDirectory),
            embedderName: try reader.string("FACEMATRIX_EMBEDDER", default: FaceModels.defaultEmbedder),
            imageLimits: ImageLimits(
                maxBytes: try reader.integer(
                    "FACEMATRIX_MAX_IMAGE_BYTES", default: 10_000_000, in: 1_000...200_000_000),
                maxPixels: try reader.integer(
                    "FACEMATRIX_MAX_IMAGE_PIXELS", default: 40_000_000, in: 10_000...500_000_000)),
            detection: detection,
            inferenceWorkers: try reader.integer(
                "FACEMATRIX_INFERENCE_WORKERS", default: ProcessInfo.processInfo.activeProcessorCount, in: 1...256),
            intraOpThreads: try reader.integer("FACEMATRIX_INTRA_OP_THREADS", default: 1, in: 1...256)
        )
    }

    /// Loads the models (checking their sha256) and builds the pipeline on ONNX Runtime.
    public func makePipeline(environment: ONNXRuntimeEnvironment) throws -> (FacePipeline, ONNXRuntimeBackend) {
        let models = try FaceModels(directory: modelDirectory, embedder: embedderName)
        let backend = try ONNXRuntimeBackend(
            environment: environment,
            models: models.paths,
            options: SessionOptions(intraOpThreads: intraOpThreads),
            concurrentRuns: inferenceWorkers
        )
        let pipeline = try FacePipeline(
            models: models, backend: backend, imageLimits: imageLimits, detection: detection)
        return (pipeline, backend)
    }
}
