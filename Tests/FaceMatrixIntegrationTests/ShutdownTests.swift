import FaceMatrixTestSupport
import Foundation
import Testing

/// `facematrix serve` stopped with SIGTERM while it is busy: what it accepted is answered, nothing new is, and the
/// process exits 0.
@Suite(.serialized) struct ShutdownTests {
    /// Starts curl posting `photo` to recognise; its output is the body, a newline and the HTTP status (000 when
    /// no connection was made).
    static func post(_ photo: String, port: Int) throws -> (Process, Pipe) {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = [
            "-s", "-o", "-", "-w", "\n%{http_code}", "-F", "image=@\(photo)",
            "http://127.0.0.1:\(port)/api/v1/recognise_user",
        ]
        let output = Pipe()
        curl.standardOutput = output
        try curl.run()
        return (curl, output)
    }

    static func isReady(port: Int) -> Bool {
        let probe = try? TestEnvironment.execute(
            "/usr/bin/curl",
            ["-sf", "-o", "/dev/null", "http://127.0.0.1:\(port)/health/ready"]
        )
        return probe?.status == 0
    }

    @Test func sigtermFinishesWhatWasAcceptedAndExitsZero() async throws {
        let photo = try TestData.facesDirectory().appendingPathComponent("face_recognition/examples/obama-1080p.jpg")
        try await withFreshDatabase { _, configuration in
            let port = Int.random(in: 20_000..<40_000)
            var environment = ProcessInfo.processInfo.environment
            environment["FACEMATRIX_MODEL_DIR"] = TestModels.directory
            environment["DATABASE_URL"] = try EnrollFolderCommandTests.url(ofDatabase: configuration.database)
            environment["PORT"] = "\(port)"
            environment["FACEMATRIX_METRICS_PORT"] = "\(port + 1)"
            environment["HOST"] = "127.0.0.1"
            environment["LOG_LEVEL"] = "warning"
            // Admission by expected wait is not what this test is about: on two cores shared with the rest of the
            // suite, the six photos' expected wait can pass the default 1 s and some would be turned away as busy.
            environment["FACEMATRIX_MAX_WAIT_MS"] = "600000"
            environment["FACEMATRIX_DATABASE_TIMEOUT_MS"] = "30000"
            let server = Process()
            server.executableURL = URL(fileURLWithPath: try EvaluateCommandTests.binary)
            server.arguments = ["serve"]
            server.environment = environment
            server.standardError = FileHandle.nullDevice
            try server.run()
            defer { if server.isRunning { server.interrupt() } }
            let deadline = ContinuousClock.now + .seconds(60)
            while !Self.isReady(port: port), ContinuousClock.now < deadline, server.isRunning {
                try await Task.sleep(for: .milliseconds(100))
            }
            try #require(Self.isReady(port: port), "the service did not become ready")

            // With FACEMATRIX_METRICS_PORT, /metrics is served there and not on the API's port.
            let metrics = try TestEnvironment.execute(
                "/usr/bin/curl",
                ["-s", "-w", "\n%{http_code}", "http://127.0.0.1:\(port + 1)/metrics"]
            )
            #expect(metrics.stdout.hasSuffix("\n200") && metrics.stdout.contains("# TYPE"))
            let hidden = try TestEnvironment.execute(
                "/usr/bin/curl",
                ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/metrics"]
            )
            #expect(hidden.stdout == "404")

            // More photos than the workers analyse at once, so some wait in the queue when SIGTERM arrives.
            let requests = try (0..<6).map { _ in try Self.post(photo.path, port: port) }
            try await Task.sleep(for: .milliseconds(150))
            server.terminate()
            var answered = 0
            for (curl, output) in requests {
                let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                curl.waitUntilExit()
                let status = text.split(separator: "\n").last.map(String.init) ?? ""
                // Accepted → a full answer; not yet connected → refused (curl's exit status 7). Never a cut-off
                // connection (52, 56) or a failed answer.
                let refused = curl.terminationStatus == 7
                #expect(status == "200" || refused, "curl \(curl.terminationStatus), \(status): \(text.prefix(200))")
                if status == "200" {
                    answered += 1
                    #expect(text.contains("\"status\""))
                }
            }
            #expect(answered >= 1, "no request was in flight when SIGTERM arrived")
            server.waitUntilExit()
            #expect(server.terminationReason == .exit)
            #expect(server.terminationStatus == 0)
            #expect(!Self.isReady(port: port))
        }
    }
}
