import Foundation
import Testing

/// `facematrix serve` refuses to start on a missing or damaged model with one line naming the file, before it
/// listens or touches the database.
@Suite struct StartupTests {
    /// A copy of the converted models, to damage.
    static func modelCopy() throws -> URL {
        let copy = try TestEnvironment.temporaryDirectory()
        for entry in try FileManager.default.contentsOfDirectory(atPath: TestModels.directory) {
            try FileManager.default.copyItem(
                atPath: "\(TestModels.directory)/\(entry)",
                toPath: copy.appendingPathComponent(entry).path
            )
        }
        return copy
    }

    static func serve(models: URL) throws -> TestEnvironment.Execution {
        var environment = ProcessInfo.processInfo.environment
        environment["FACEMATRIX_MODEL_DIR"] = models.path
        environment["DATABASE_URL"] = "postgres://nobody:secret@127.0.0.1:1/none"
        environment["PORT"] = "1"
        return try TestEnvironment.execute(try EvaluateCommandTests.binary, ["serve"], environment: environment)
    }

    @Test func aMissingModelFileIsNamed() throws {
        let models = try Self.modelCopy()
        defer { try? FileManager.default.removeItem(at: models) }
        let missing = models.appendingPathComponent("mtcnn/pnet.onnx")
        try FileManager.default.removeItem(at: missing)
        let execution = try Self.serve(models: models)
        #expect(execution.reason == .exit && execution.status == 1)
        #expect(execution.stderr == "facematrix: model file \(missing.path) is missing; run `make models`\n")
    }

    @Test func aDamagedModelFileIsNamed() throws {
        let models = try Self.modelCopy()
        defer { try? FileManager.default.removeItem(at: models) }
        let damaged = models.appendingPathComponent("face-reidentification-retail-0095/model.onnx")
        let bytes = try Data(contentsOf: damaged)
        try bytes.prefix(bytes.count / 2).write(to: damaged)
        let execution = try Self.serve(models: models)
        #expect(execution.reason == .exit && execution.status == 1)
        #expect(execution.stderr.split(separator: "\n").count == 1)
        #expect(execution.stderr.contains(damaged.path) && execution.stderr.contains("sha256"))
    }

    /// A manifest from another tooling version, or an embedder whose embeddings are compared otherwise, would
    /// give wrong answers that look right: refused at start, naming the manifest or the mismatch.
    @Test(arguments: [
        ("mtcnn", "\"schema_version\": 1", "\"schema_version\": 2", "schema_version 2; this build reads 1"),
        (
            "face-reidentification-retail-0095", "\"metric\": \"cosine\"", "\"metric\": \"euclidean\"",
            "embeddings compared by euclidean"
        ),
        (
            "face-reidentification-retail-0095", "\"normalize\": \"l2\"", "\"normalize\": \"none\"",
            "after none normalisation"
        ),
    ])
    func aManifestTheBuildDoesNotReadIsRefused(folder: String, original: String, changed: String, message: String)
        throws
    {
        let models = try Self.modelCopy()
        defer { try? FileManager.default.removeItem(at: models) }
        let manifest = models.appendingPathComponent("\(folder)/manifest.json")
        let text = try String(contentsOf: manifest, encoding: .utf8)
        #expect(text.contains(original))
        try text.replacingOccurrences(of: original, with: changed).write(
            to: manifest,
            atomically: false,
            encoding: .utf8
        )
        let execution = try Self.serve(models: models)
        #expect(execution.reason == .exit && execution.status == 1)
        #expect(execution.stderr.split(separator: "\n").count == 1)
        #expect(execution.stderr.contains(message), "\(execution.stderr)")
    }
}
