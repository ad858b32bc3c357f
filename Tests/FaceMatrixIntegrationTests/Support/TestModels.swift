import FaceInference
import FaceMatrixConfiguration
import FaceMatrixCore
import FaceMatrixServer
import FaceMatrixTestSupport
import FacePipeline
import Foundation
import ONNXRuntime

/// The converted models from `make models`, loaded once for all tests.
enum TestModels {
    static var directory: String {
        TestEnvironment.environment["FACEMATRIX_MODEL_DIR"] ?? "\(TestEnvironment.cacheDirectory)/models"
    }

    static let environment: ONNXRuntimeEnvironment = try! ONNXRuntimeEnvironment.shared()

    /// The default pipeline (ONNX Runtime, the default embedder), shared by the tests.
    static let pipeline: FaceAnalysisPipeline = {
        var settings = PipelineSettings()
        settings.modelDirectory = directory
        do {
            return try settings.makePipeline(environment: environment).0
        } catch {
            fatalError("the models in \(directory) could not be loaded (\(error)); run `make models`")
        }
    }()

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
