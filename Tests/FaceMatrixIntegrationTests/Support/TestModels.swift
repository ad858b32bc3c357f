import FaceInference
import FaceMatrixConfiguration
import FaceMatrixCore
import FaceMatrixServer
import FaceMatrixTestSupport
import FacePipeline
import Foundation
import Testing

/// The converted models from `make models`, loaded once for all tests.
enum TestModels {
    static var directory: String {
        TestEnvironment.environment["FACEMATRIX_MODEL_DIR"] ?? "\(TestEnvironment.cacheDirectory)/models"
    }

    /// The default pipeline (the default runtime and embedder), shared by the tests.
    static let pipeline: FaceAnalysisPipeline = pipeline(on: PipelineSettings.defaultInference)

    /// The default embedder's pipeline on each runtime, loaded once.
    static let pipelines: [InferenceRuntime: FaceAnalysisPipeline] = Dictionary(
        uniqueKeysWithValues: InferenceRuntime.inProcess.map { ($0, makePipeline(on: $0)) }
    )

    static func pipeline(on runtime: InferenceRuntime) -> FaceAnalysisPipeline {
        pipelines[runtime] ?? makePipeline(on: runtime)
    }

    /// Every runtime the service can use; `make test` starts the Triton server the last one needs.
    static let runtimes: [InferenceRuntime] = InferenceRuntime.inProcess + [.triton]

    /// The URL of the Triton server `make test` started (scripts/triton.sh start), serving the model cache.
    static var tritonURL: String {
        get throws {
            try #require(
                TestEnvironment.environment["FACEMATRIX_TRITON_URL"],
                "FACEMATRIX_TRITON_URL is not set: run the tests with `make test`, or start a server with `scripts/triton.sh start DIR`"
            )
        }
    }

    /// The default embedder's pipeline on `runtime`, ready to run: for Triton a fresh client whose models were
    /// checked against their manifests.
    static func preparedPipeline(on runtime: InferenceRuntime) async throws -> FaceAnalysisPipeline {
        guard runtime == .triton else { return pipeline(on: runtime) }
        return try await tritonPipeline(url: try tritonURL).pipeline
    }

    /// A pipeline on the Triton server at `url`, prepared, with its backend.
    static func tritonPipeline(
        url: String,
        directory: String = directory,
        embedder: String = FaceModels.defaultEmbedder
    )
        async throws -> (pipeline: FaceAnalysisPipeline, backend: any InferenceBackend)
    {
        var settings = PipelineSettings()
        settings.modelDirectory = directory
        settings.embedderName = embedder
        settings.inference = .triton
        settings.tritonURL = url
        let (pipeline, backend) = try settings.makePipeline()
        try await backend.prepare()
        return (pipeline, backend)
    }

    private static func makePipeline(on runtime: InferenceRuntime) -> FaceAnalysisPipeline {
        var settings = PipelineSettings()
        settings.modelDirectory = directory
        settings.inference = runtime
        do {
            return try settings.makePipeline().0
        } catch {
            fatalError("the models in \(directory) could not be loaded on \(runtime) (\(error)); run `make models`")
        }
    }

    static let manifest: FaceModels = try! FaceModels(directory: directory)
}

/// One row of a `labels.csv` in the shared photos.
struct LabeledPhoto: Sendable, CustomStringConvertible {
    let path: String
    let identity: String
    let faces: Int?

    var description: String { path }

    /// Rows of `<subset>/labels.csv`, with paths relative to the faces folder.
    static func load(_ subset: String) throws -> [LabeledPhoto] {
        let root = try TestData.facesDirectory()
        let text = try String(contentsOf: root.appendingPathComponent("\(subset)/labels.csv"), encoding: .utf8)
        let rows = text.split(whereSeparator: \.isNewline).dropFirst()
        return rows.map { line in
            let columns = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return LabeledPhoto(
                path: "\(subset)/\(columns[0])",
                identity: columns[1],
                faces: columns.count > 2 ? Int(columns[2]) : nil
            )
        }
    }

    static func labeledSets() throws -> [LabeledPhoto] {
        try load("facenet-pytorch") + load("face_recognition")
    }

    var bytes: [UInt8] { get throws { try TestData.bytes(path) } }
}
