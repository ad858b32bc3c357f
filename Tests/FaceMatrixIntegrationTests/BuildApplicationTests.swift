import FaceMatrixConfiguration
import FaceMatrixServer
import FacePipeline
import FaceStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import Prometheus
import Testing

/// The service exactly as `facematrix serve` wires it (`buildApplication`: configuration from the environment,
/// models, its own database pool run as a service, migrations before the first request), over a real socket, on
/// every inference runtime.
// One service at a time: each loads its models and serves over a socket whose test client gives up after 20 s, and
// five at once beside the rest of the suite on two cores came close to that.
@Suite(.serialized) struct BuildApplicationTests {
    @Test(arguments: TestModels.runtimes)
    func theServiceAsServeBuildsItAnswers(on runtime: InferenceRuntime) async throws {
        var settings = ["FACEMATRIX_INFERENCE": runtime.rawValue]
        if runtime == .triton { settings["FACEMATRIX_TRITON_URL"] = try TestModels.tritonURL }
        let environment = settings
        try await withFreshDatabase { _, database in
            let app = try await Self.application(database: database, environment: environment)
            try await app.test(.live) { client in
                let ready = try await Self.readiness(client)
                #expect(ready.hasPrefix(runtime == .triton ? "triton 2.51" : runtime.rawValue), "\(ready)")
                #expect(ready.contains("embedder"))

                let answer = try await client.send(
                    "/api/v1/recognise_user",
                    multipart: .image(RecognitionAPITests.obama)
                )
                #expect(answer.status == .ok)
                #expect(answer.body["message"] as? String == "no_match")
                #expect(answer.headers[.init("X-Request-ID")!] != nil)
                let key = try #require(answer.body["req_id"] as? String)
                let added = try await client.send(
                    "/api/v1/add_user",
                    json: ["name": "Barack Obama", "birthdate": "1961-08-04", "req_id": key]
                )
                #expect(added.status == .created)
                let again = try await client.send(
                    "/api/v1/recognise_user",
                    multipart: .image(RecognitionAPITests.obamaAgain)
                )
                #expect(again.body["message"] as? String == "Match found")
                let page = try await client.execute(uri: "/", method: .get) { $0.status }
                #expect(page == .ok)
            }
        }
    }

    /// The original system's embedder, FaceNet (InceptionResnetV1, 512-D), converted by the tooling from a
    /// state_dict (`make test` makes one with random weights: the real ones cannot be fetched here), through both
    /// an in-process runtime and Triton: the service starts with a fixed threshold (the manifest has no calibrated
    /// one), enrols, recognises, and keeps its 512-D faces apart from the default model's 256-D ones in one database.
    @Test(arguments: [InferenceRuntime.openvino, .triton])
    func theOriginalSystemsFaceNetServesBesideTheDefaultModel(on runtime: InferenceRuntime) async throws {
        let demo = try #require(
            TestEnvironment.environment["FACEMATRIX_FACENET_DEMO_DIR"],
            "FACEMATRIX_FACENET_DEMO_DIR is not set: run the tests with `make test`"
        )
        var settings = [
            "FACEMATRIX_MODEL_DIR": demo, "FACEMATRIX_EMBEDDER": "facenet-random", "FACEMATRIX_MATCH_THRESHOLD": "0.9",
            "FACEMATRIX_INFERENCE": runtime.rawValue,
        ]
        if runtime == .triton {
            let url: String = try #require(
                TestEnvironment.environment["FACEMATRIX_FACENET_TRITON_URL"],
                "FACEMATRIX_FACENET_TRITON_URL is not set: run `make test`"
            )
            settings["FACEMATRIX_TRITON_URL"] = url
        }
        let faceNet = settings
        try await withFreshDatabase { pool, database in
            // A user of the default model first.
            let defaultApp = try await Self.application(database: database, environment: [:])
            try await defaultApp.test(.live) { client in
                let added = try await client.send(
                    "/api/v1/add_user",
                    multipart: .image(RecognitionAPITests.obama, extra: ["name": "Default", "birthdate": "1961-08-04"])
                )
                #expect(added.status == .created)
            }
            let app = try await Self.application(database: database, environment: faceNet)
            try await app.test(.live) { client in
                #expect(try await Self.readiness(client).contains("embedder"))
                // The default model's face is never compared with FaceNet's.
                let first = try await client.send(
                    "/api/v1/recognise_user",
                    multipart: .image(RecognitionAPITests.obama)
                )
                #expect(first.body["message"] as? String == "no_match")
                let key = try #require(first.body["req_id"] as? String)
                let added = try await client.send(
                    "/api/v1/add_user",
                    json: ["name": "FaceNet", "birthdate": "1961-08-04", "req_id": key]
                )
                #expect(added.status == .created)
                // The same photo gives the same embedding, whatever the weights.
                let again = try await client.send(
                    "/api/v1/recognise_user",
                    multipart: .image(RecognitionAPITests.obama)
                )
                #expect(again.body["message"] as? String == "Match found")
                #expect((again.body["user_info"] as? [String: Any])?["name"] as? String == "FaceNet")
            }
            var rows: [(String, Int)] = []
            let query: PostgresQuery = "SELECT model, vector_dims(embedding) FROM faces ORDER BY 2"
            for try await row in try await pool.client.query(query, logger: pool.logger).decode((String, Int).self) {
                rows.append(row)
            }
            #expect(rows.map(\.1) == [256, 512], "\(rows)")
            #expect(rows.last?.0.hasPrefix("facenet-random") == true, "\(rows)")
        }
    }

    /// Every manifest the tooling wrote (the model cache's and the FaceNet conversion's) decodes, and the
    /// pipeline accepts what it says: the one contract between the Python tooling and the Swift service.
    @Test func manifestsWrittenByTheToolingLoad() throws {
        var folders = [(TestModels.directory, FaceModels.defaultEmbedder)]
        if let demo = TestEnvironment.environment["FACEMATRIX_FACENET_DEMO_DIR"] {
            folders.append((demo, "facenet-random"))
        }
        for (directory, embedder) in folders {
            let models = try FaceModels(directory: directory, embedder: embedder)
            #expect(Set(models.paths.keys) == ["pnet", "rnet", "onet", "embedder"])
            #expect(models.embedder.embedding?.size == (embedder == "facenet-random" ? 512 : 256))
            _ = try FaceAligner(crop: try #require(models.embedder.crop))
        }
    }

    static func application(database: DatabaseConfiguration, environment: [String: String]) async throws
        -> some ApplicationProtocol
    {
        var url = URLComponents()
        url.scheme = "postgres"
        url.user = database.username
        url.password = database.password
        url.host = database.host
        url.port = database.port
        url.path = "/\(database.database)"
        // The whole suite runs in parallel on two cores, where a query can wait seconds for the CPU; the default 5 s
        // would then read as an outage.
        let defaults = [
            "FACEMATRIX_MODEL_DIR": TestModels.directory, "LOG_LEVEL": "warning",
            "FACEMATRIX_DATABASE_TIMEOUT_MS": "30000",
        ]
        var configuration = try AppConfiguration(
            environment: defaults.merging(environment) { $1 }.merging(["DATABASE_URL": try #require(url.string)]) {
                $1
            }
        )
        configuration.host = "127.0.0.1"
        configuration.port = 0
        var logger = Logger(label: "facematrix-test")
        logger.logLevel = .warning
        return try await buildApplication(
            configuration: configuration,
            metrics: PrometheusCollectorRegistry(),
            logger: logger
        )
    }

    /// `GET /health/ready` must answer 200; returns the inference component's detail.
    static func readiness(_ client: some TestClientProtocol) async throws -> String {
        let (status, body) = try await client.execute(uri: "/health/ready", method: .get) { ($0.status, $0.body) }
        #expect(status == .ok)
        let report = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
        let components = try #require(report?["components"] as? [String: Any])
        let inference = try #require(components["inference"] as? [String: Any])
        return try #require(inference["version"] as? String)
    }
}
