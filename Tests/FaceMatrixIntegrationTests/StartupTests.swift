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
                atPath: "\(TestModels.directory)/\(entry)", toPath: copy.appendingPathComponent(entry).path)
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
}
