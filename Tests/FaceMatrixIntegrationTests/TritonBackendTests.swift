import FaceInference
import FaceInferenceTriton
import FaceMatrixConfiguration
import FaceMatrixCore
import FaceMatrixTestSupport
import FacePipeline
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ImageDecoding
import Testing

/// The pipeline on a real NVIDIA Triton Inference Server (2.51, the CPU repository that `make test` starts with
/// scripts/triton.sh): the same answers as in-process, its checks at start, its statistics, and outages.
@Suite(.serialized) struct TritonBackendTests {
    @Test func photosGiveTheSameFacesAndEmbeddingsAsInProcess() async throws {
        let triton = try await TestModels.preparedPipeline(on: .triton)
        try await RuntimeParityTests.expectSameFaces(
            triton,
            as: TestModels.pipeline(on: .onnxruntime),
            label: "Triton vs ONNX Runtime"
        )
    }

    @Test func readinessNamesTritonAndItsModels() async throws {
        let (_, backend) = try await TestModels.tritonPipeline(url: try TestModels.tritonURL)
        let report = try await backend.checkReady()
        #expect(report.hasPrefix("triton 2.51"))
        for served in ["pnet=pnet", "rnet=rnet", "onet=onet", "embedder=\(FaceModels.defaultEmbedder)"] {
            #expect(report.contains(served), "\(report)")
        }
    }

    /// Concurrent photos reach the embedder, and the server's own statistics count them; with dynamic batching it
    /// may run fewer executions than inferences, never more.
    @Test func theEmbeddersExecutionsShowInTritonsStatistics() async throws {
        let url = try TestModels.tritonURL
        let pipeline = try await TestModels.preparedPipeline(on: .triton)
        let before = try Self.statistics(url: url, model: FaceModels.defaultEmbedder)
        let photos = try LabeledPhoto.labeledSets().filter { $0.faces == 1 }.prefix(12).map { try $0.bytes }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for photo in photos { group.addTask { _ = try await pipeline.analyze(photo, embedding: .main) } }
            try await group.waitForAll()
        }
        let after = try Self.statistics(url: url, model: FaceModels.defaultEmbedder)
        let inferences = after.inferences - before.inferences
        let executions = after.executions - before.executions
        print("Triton embedder: \(inferences) inferences in \(executions) executions")
        #expect(inferences >= photos.count)
        #expect(executions >= 1 && executions <= inferences)
    }

    @Test func aModelThatDoesNotMatchItsManifestIsRefusedAtStart() async throws {
        let url = try TestModels.tritonURL
        let input = ModelManifest.TensorSpec(name: "input", shape: [-1, 3, 24, 24], dtype: "float32")
        let prob = ModelManifest.TensorSpec(name: "prob", shape: [-1, 2], dtype: "float32")
        let cases: [(TritonModel, String)] = [
            (TritonModel(name: "rnet", version: "1", inputs: [input], outputs: [prob]), ""),
            (
                TritonModel(
                    name: "rnet",
                    version: "1",
                    inputs: [ModelManifest.TensorSpec(name: "input", shape: [-1, 3, 48, 48], dtype: "float32")],
                    outputs: [prob]
                ), "[-1, 3, 48, 48]"
            ),
            (TritonModel(name: "rnet", version: "1", inputs: [input], outputs: [prob], sha256: "00ff"), "sha256"),
            (
                TritonModel(
                    name: "rnet",
                    version: "1",
                    inputs: [input],
                    outputs: [ModelManifest.TensorSpec(name: "cls", shape: [-1, 2], dtype: "float32")]
                ), "no output 'cls'"
            ),
        ]
        for (model, reason) in cases {
            let backend = TritonBackend(baseURL: url, models: ["rnet": model])
            if reason.isEmpty {
                try await backend.prepare(startupWait: .seconds(5))
                _ = try await backend.checkReady()
            } else {
                let error = await #expect(throws: TritonModelMismatch.self) {
                    try await backend.prepare(startupWait: .seconds(5))
                }
                #expect(error?.description.contains(reason) == true, "\(String(describing: error))")
                // A server replaced under a running service is found out by the readiness check too.
                await #expect(throws: TritonModelMismatch.self) { _ = try await backend.checkReady() }
            }
        }
        let missing = TritonBackend(
            baseURL: url,
            models: ["rnet": TritonModel(name: "nope", version: "1", inputs: [input], outputs: [prob])]
        )
        await #expect(throws: InferenceError.self) { try await missing.prepare(startupWait: .milliseconds(600)) }
    }

    /// Blank and plain-background photos, whose pyramid levels compress a hundredfold: answered as in-process
    /// (no face, or the face), never refused as if Triton were down.
    @Test func photosOnAPlainBackgroundAreAnalyzed() async throws {
        let pipeline = try await TestModels.preparedPipeline(on: .triton)
        let gray = try Encoders.jpeg(
            RGBImage(width: 640, height: 480, pixels: [UInt8](repeating: 128, count: 640 * 480 * 3))
        )
        #expect(try await pipeline.analyze(gray).faces.isEmpty)
        let face = try ImageDecoder().decode(RecognitionAPITests.obama).image
        var canvas = [UInt8](repeating: 255, count: 1600 * 1200 * 3)
        for row in 0..<min(face.height, 1200) {
            let source = row * face.width * 3
            canvas.replaceSubrange(
                (row * 1600 * 3)..<(row * 1600 * 3 + min(face.width, 1600) * 3),
                with: face.pixels[source..<(source + min(face.width, 1600) * 3)]
            )
        }
        let onWhite = try Encoders.jpeg(RGBImage(width: 1600, height: 1200, pixels: canvas))
        #expect(try await pipeline.analyze(onWhite).faces.count == 1)
    }

    /// A group photo's R-Net batch beyond the model's `max_batch_size` (256) goes in several requests and comes back
    /// whole.
    @Test func batchesLargerThanTheModelTakesAreSplit() async throws {
        let (_, backend) = try await TestModels.tritonPipeline(url: try TestModels.tritonURL)
        var generator = SeededGenerator(seed: 7)
        let rows = 600
        let values = (0..<(rows * 3 * 24 * 24)).map { _ in Float.random(in: -1...1, using: &generator) }
        let input = Tensor(shape: [rows, 3, 24, 24], values: values)
        let whole = try await backend.run(model: "rnet", inputs: ["input": input], outputs: ["prob", "reg"])
        let prob = try #require(whole["prob"])
        #expect(prob.shape == [rows, 2])
        let last = try await backend.run(
            model: "rnet",
            inputs: ["input": Tensor(shape: [1, 3, 24, 24], values: Array(values.suffix(3 * 24 * 24)))],
            outputs: ["prob"]
        )
        let expected = try #require(last["prob"]).values
        let actual = Array(prob.values.suffix(2))
        #expect(zip(expected, actual).allSatisfy { abs($0 - $1) < 1e-5 }, "\(expected) vs \(actual)")
    }

    /// Triton stopped under the service: 503/610 with Retry-After; started again: answers again, no restart.
    @Test func anOutageGives503AndTheServiceRecoversByItself() async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer {
            _ = try? Self.server("stop", directory)
            try? FileManager.default.removeItem(at: directory)
        }
        let url = try Self.server("start", directory)
        let pipeline = try await TestModels.tritonPipeline(url: url).pipeline
        try await withFreshDatabase { database, _ in
            let service = try await TestService.make(database: database, pipeline: pipeline)
            try await service.test { client in
                let photo = MultipartBody.image(RecognitionAPITests.obama)
                #expect(try await client.send("/api/v1/recognise_user", multipart: photo).status == .ok)

                _ = try Self.server("stop", directory)
                let down = try await client.send("/api/v1/recognise_user", multipart: photo)
                try expectError(down, status: .serviceUnavailable, code: 610, slug: "dependency_unavailable")
                #expect(down.headers[.retryAfter] == "5")

                // On the same port again, so that the service's URL stays right.
                let port = try #require(URL(string: url)?.port)
                #expect(try Self.server("start", directory, port: port) == url)
                let back = try await client.send("/api/v1/recognise_user", multipart: photo)
                #expect(back.status == .ok)
                #expect(back.body["message"] as? String == "no_match")
            }
        }
    }

    /// Runs `scripts/triton.sh COMMAND DIRECTORY` (on `port` when given); returns what it printed (the URL).
    static func server(_ command: String, _ directory: URL, port: Int? = nil) throws -> String {
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("scripts/triton.sh").path
        var environment = TestEnvironment.environment
        if let port { environment["TRITON_HTTP_PORT"] = String(port) }
        let run = try TestEnvironment.execute(script, [command, directory.path], environment: environment)
        try #require(run.status == 0, "triton.sh \(command): \(run.stderr.suffix(2000))")
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The model's `inference_count` and `execution_count` from `/v2/models/<name>/stats`.
    static func statistics(url: String, model: String) throws -> (inferences: Int, executions: Int) {
        let body = try TestEnvironment.run("/usr/bin/curl", ["-sf", "\(url)/v2/models/\(model)/stats"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let stats = try #require((json["model_stats"] as? [[String: Any]])?.first)
        return (
            try #require(stats["inference_count"] as? Int), try #require(stats["execution_count"] as? Int)
        )
    }
}
