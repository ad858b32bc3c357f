import FaceMatrixServer
import FaceStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Testing

/// The service exactly as `facematrix serve` wires it (`buildApplication`: configuration from the environment,
/// models, its own database pool run as a service, migrations before the first request), over a real socket.
@Suite struct BuildApplicationTests {
    @Test func theServiceAsServeBuildsItAnswers() async throws {
        try await withFreshDatabase { _, database in
            var url = URLComponents()
            url.scheme = "postgres"
            url.user = database.username
            url.password = database.password
            url.host = database.host
            url.port = database.port
            url.path = "/\(database.database)"
            var configuration = try AppConfiguration(environment: [
                "DATABASE_URL": try #require(url.string), "FACEMATRIX_MODEL_DIR": TestModels.directory,
                "LOG_LEVEL": "warning",
            ])
            configuration.host = "127.0.0.1"
            configuration.port = 0
            var logger = Logger(label: "facematrix-test")
            logger.logLevel = .warning
            let app = try await buildApplication(
                configuration: configuration,
                metrics: PrometheusCollectorRegistry(),
                logger: logger
            )
            try await app.test(.live) { client in
                let ready = try await client.execute(uri: "/health/ready", method: .get) { $0.status }
                #expect(ready == .ok)
                let answer = try await client.send(
                    "/api/v1/recognise_user",
                    multipart: .image(RecognitionAPITests.obama)
                )
                #expect(answer.status == .ok)
                #expect(answer.body["message"] as? String == "no_match")
                #expect(answer.headers[.init("X-Request-ID")!] != nil)
                let page = try await client.execute(uri: "/", method: .get) { $0.status }
                #expect(page == .ok)
            }
        }
    }
}
