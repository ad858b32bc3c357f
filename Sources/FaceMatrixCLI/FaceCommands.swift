import ArgumentParser
import FaceMatrixConfiguration
import FaceMatrixCore
import FacePipeline
import Foundation

/// Options shared by the commands that run the pipeline on photos.
struct PipelineOptions: ParsableArguments {
    @Option(help: "Directory with the converted models (default: FACEMATRIX_MODEL_DIR or the model cache).")
    var models: String?

    /// - Parameter intraOpThreads: threads per network run; by default all cores, since the commands that
    ///   handle one photo at a time are faster when each network uses every core.
    func makePipeline(intraOpThreads: Int = PipelineSettings.processorCount) throws -> FaceAnalysisPipeline {
        try settings(intraOpThreads: intraOpThreads).makePipeline().0
    }

    /// The environment's pipeline settings with this command's overrides.
    func settings(intraOpThreads: Int = PipelineSettings.processorCount) throws -> PipelineSettings {
        var settings = try PipelineSettings(environment: ProcessInfo.processInfo.environment)
        if let models { settings.modelDirectory = models }
        settings.intraOpThreads = intraOpThreads
        return settings
    }
}

struct DetectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Print the faces in a photo as JSON (box, confidence, landmarks, quality)."
    )

    @Argument(help: "A JPEG, PNG, WebP or HEIF file.") var image: String
    @OptionGroup var options: PipelineOptions

    func run() async throws {
        try await reportingErrors {
            let pipeline = try options.makePipeline()
            let analysis = try await pipeline.analyze(try readFile(image), embedding: .none)
            try printJSON(AnalysisReport(analysis, pipeline: pipeline, includeEmbeddings: false))
        }
    }
}

struct EmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print every face in a photo with its embedding and the time of each stage."
    )

    @Argument(help: "A JPEG, PNG, WebP or HEIF file.") var image: String
    @OptionGroup var options: PipelineOptions

    func run() async throws {
        try await reportingErrors {
            let pipeline = try options.makePipeline()
            let analysis = try await pipeline.analyze(try readFile(image), embedding: .all)
            try printJSON(AnalysisReport(analysis, pipeline: pipeline, includeEmbeddings: true))
        }
    }
}

struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare the main faces of two photos and say whether they pass the model's threshold."
    )

    @Argument(help: "A JPEG, PNG, WebP or HEIF file.") var first: String
    @Argument(help: "Another JPEG, PNG, WebP or HEIF file.") var second: String
    @OptionGroup var options: PipelineOptions

    struct Comparison: Encodable {
        let similarity: Double
        let threshold: Double?
        let samePerson: Bool?
        let model: String

        enum CodingKeys: String, CodingKey {
            case similarity, threshold, model
            case samePerson = "same_person"
        }
    }

    func run() async throws {
        try await reportingErrors {
            let pipeline = try options.makePipeline()
            let thresholds = pipeline.thresholds
            let a = try await mainEmbedding(of: first, pipeline: pipeline)
            let b = try await mainEmbedding(of: second, pipeline: pipeline)
            let similarity = a.similarity(to: b)
            let threshold = thresholds?.verification
            try printJSON(
                Comparison(
                    similarity: similarity,
                    threshold: threshold,
                    samePerson: threshold.map { similarity >= $0 },
                    model: "\(pipeline.modelName) \(pipeline.modelVersion)"
                )
            )
        }
    }

    private func mainEmbedding(of path: String, pipeline: FaceAnalysisPipeline) async throws -> Embedding {
        let analysis = try await pipeline.analyze(try readFile(path), embedding: .main)
        guard let embedding = analysis.faces.first?.embedding else {
            throw CommandFailure("\(path): \(FaceMatrixError.faceNotDetected.message)")
        }
        return embedding
    }
}

/// The JSON the `detect` and `embed` commands print.
struct AnalysisReport: Encodable {
    struct Face: Encodable {
        let box: BoundingBox
        let confidence: Double
        let landmarks: FaceLandmarks
        let quality: FaceQuality
        let embedding: [Float]?
    }

    let image: [String: Int]
    let faces: [Face]
    let model: [String: String]
    let timingsMs: [String: Double]

    enum CodingKeys: String, CodingKey {
        case image, faces, model
        case timingsMs = "timings_ms"
    }

    init(_ analysis: FaceAnalysis, pipeline: FaceAnalysisPipeline, includeEmbeddings: Bool) {
        image = ["width": analysis.imageWidth, "height": analysis.imageHeight]
        faces = analysis.faces.map {
            Face(
                box: $0.detection.box,
                confidence: $0.detection.confidence,
                landmarks: $0.detection.landmarks,
                quality: $0.quality,
                embedding: includeEmbeddings ? $0.embedding?.values : nil
            )
        }
        model = ["name": pipeline.modelName, "version": pipeline.modelVersion]
        timingsMs = analysis.timings.milliseconds
    }
}

struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func readFile(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CommandFailure("cannot read \(path)")
    }
    return [UInt8](data)
}

func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    FileHandle.standardOutput.write(try encoder.encode(value))
    FileHandle.standardOutput.write(Data("\n".utf8))
}

/// Runs a command body; any failure becomes one line on standard error and a non-zero exit.
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as FaceMatrixError {
        printError(error.message)
        throw ExitCode.failure
    } catch let error as ExitCode {
        throw error
    } catch {
        printError(String(describing: error).split(separator: "\n").first.map(String.init) ?? "failed")
        throw ExitCode.failure
    }
}
