import FaceMatrixServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

struct Unreachable: Error, CustomStringConvertible {
    var description: String { "connection refused" }
}

@Suite struct HealthRoutesTests {
    func application(_ checks: [ReadinessCheck]) -> some ApplicationProtocol {
        Application(router: buildRouter(checks: checks))
    }

    @Test func aKnownPathWithAnotherMethodIs405WithAllow() async throws {
        let app = application([])
        try await app.test(.router) { client in
            for (uri, method) in [("/health/live", HTTPRequest.Method.put), ("/openapi.yaml", .delete)] {
                try await client.execute(uri: uri, method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                    #expect(response.headers[.allow] == "GET, HEAD")
                    let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                    #expect(body?["error"] as? String == "method_not_allowed")
                    #expect(body?["error_code"] as? Int == 405)
                }
            }
            try await client.execute(uri: "/nowhere", method: .put) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.allow] == nil)
            }
        }
    }

    @Test func headAnswersLikeGetWithoutABody() async throws {
        try await application([]).test(.router) { client in
            for uri in ["/health/live", "/openapi.yaml"] {
                try await client.execute(uri: uri, method: .head) { response in
                    #expect(response.status == .ok, "\(uri)")
                    #expect(response.body.readableBytes == 0, "\(uri)")
                    #expect(response.headers[.requestID] != nil)
                }
            }
        }
    }

    @Test func liveAnswersWithoutDependencies() async throws {
        let app = application([ReadinessCheck(name: "database") { throw Unreachable() }])
        try await app.test(.router) { client in
            try await client.execute(uri: "/health/live", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func readyIs200WhenEveryCheckPasses() async throws {
        let app = application([
            ReadinessCheck(name: "database") { "15.18" },
            ReadinessCheck(name: "pgvector") { "0.8.0" },
        ])
        try await app.test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .ok)
                let report = try JSONDecoder().decode(ReadinessReport.self, from: Data(buffer: response.body))
                #expect(report.status == "ready")
                #expect(report.components["pgvector"]?.version == "0.8.0")
                #expect(report.notReady.isEmpty)
            }
        }
    }

    @Test func readyIs503AndNamesWhatIsNotReady() async throws {
        let app = application([
            ReadinessCheck(name: "database") { throw Unreachable() },
            ReadinessCheck(name: "onnxruntime") { "1.32.0" },
        ])
        try await app.test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let report = try JSONDecoder().decode(ReadinessReport.self, from: Data(buffer: response.body))
                #expect(report.notReady == ["database"])
                #expect(report.components["database"]?.error == "connection refused")
                #expect(report.components["onnxruntime"]?.ready == true)
            }
        }
    }

    @Test func aHangingDependencyTimesOutInsteadOfHangingTheProbe() async throws {
        let report = await evaluateReadiness(
            [
                ReadinessCheck(name: "database") {
                    try await Task.sleep(for: .seconds(60)); return "never"
                }
            ],
            timeout: .milliseconds(100)
        )
        #expect(report.notReady == ["database"])
    }

    @Test func requestIDIsEchoedOrGenerated() async throws {
        let app = application([])
        try await app.test(.router) { client in
            try await client.execute(uri: "/health/live", method: .get, headers: [.requestID: "abc-123"]) { response in
                #expect(response.headers[.requestID] == "abc-123")
                #expect(String(buffer: response.body).contains("\"requestId\":\"abc-123\""))
            }
            try await client.execute(uri: "/health/live", method: .get) { response in
                let id = try #require(response.headers[.requestID])
                #expect(UUID(uuidString: id) != nil)
            }
            // An id that would smuggle a line break into the logs is replaced.
            try await client.execute(uri: "/health/live", method: .get, headers: [.requestID: "bad id\u{7f}"]) {
                response in
                let id = try #require(response.headers[.requestID])
                #expect(UUID(uuidString: id) != nil)
            }
        }
    }

    @Test func unknownRoutesGetTheJSONErrorContract() async throws {
        let app = application([])
        try await app.test(.router) { client in
            try await client.execute(uri: "/nope", method: .get, headers: [.requestID: "r1"]) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.requestID] == "r1")
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(body?["status"] as? String == "error")
                #expect(body?["error"] as? String == "not_found")
                #expect(body?["requestId"] as? String == "r1")
            }
        }
    }
}
