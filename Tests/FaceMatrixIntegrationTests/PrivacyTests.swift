import FaceMatrixTestSupport
import Foundation
import Testing

/// No photo bytes, embeddings, names, e-mails or birthdates in the logs, at any level: a whole enrolment flow at
/// trace level (the service's and the database driver's logs), searched for each.
@Suite struct PrivacyTests {
    @Test func aWholeEnrollmentFlowLogsNothingPersonal() async throws {
        let logs = CapturedLogs()
        let logger = logs.logger(level: .trace)
        let name = "Perpetua Quist-Lindqvist"
        let email = "perpetua.quist@example.org"
        let birthdate = "1961-08-04"
        let photo = try TestData.bytes("face_recognition/examples/obama.jpg")
        let another = try TestData.bytes("face_recognition/examples/obama2.jpg")
        try await withFreshDatabase(logger: logger) { database, _ in
            var service = try await TestService.make(database: database)
            service.logger = logger
            try await service.test { client in
                let first = try await client.send("/api/v1/recognise_user", multipart: .image(photo))
                let key = try #require(first.body["req_id"] as? String)
                let added = try await client.send(
                    "/api/v1/add_user",
                    json: ["name": name, "birthdate": birthdate, "req_id": key, "email": email]
                )
                let userID = try #require(added.body["user_id"] as? String)
                let again = try await client.send("/api/v1/recognise_user", multipart: .image(another))
                #expect(again.body["message"] as? String == "Match found")
                _ = try await client.send("/api/v1/users/\(userID)/faces", multipart: .image(photo))
                _ = try await client.send("/api/v1/users/\(userID)", method: .get)
                _ = try await client.send("/api/v1/users/\(userID)", method: .delete)
            }
        }
        let lines = logs.lines
        // The test must see real logging, or it proves nothing.
        #expect(lines.count >= 10, "only \(lines.count) log lines captured")
        for secret in [name, "Perpetua", "Quist", email, "example.org", birthdate] {
            #expect(
                !lines.contains { $0.contains(secret) },
                "'\(secret)' was logged: \(lines.first { $0.contains(secret) } ?? "")"
            )
        }
        // The year alone, as a number of its own: not inside a request id or a connection id's hex digits, where
        // four digits turn up by chance (the suite once failed on one).
        let year = /(^|[^0-9A-Fa-f])1961([^0-9A-Fa-f]|$)/
        #expect(
            !lines.contains { $0.contains(year) },
            "the birth year was logged: \(lines.first { $0.contains(year) } ?? "")"
        )
        // An embedding is a run of hundreds of numbers, a photo kilobytes of bytes: not even 16 of either.
        let numberRun = /(-?[0-9]+\.[0-9]+(e-?[0-9]+)?\s*,\s*){16}/
        #expect(
            !lines.contains { $0.contains(numberRun) },
            "a run of numbers was logged: \(lines.first { $0.contains(numberRun) }?.prefix(600) ?? "")"
        )
        #expect(!lines.contains { $0.lowercased().contains("ffd8ff") || $0.contains("JFIF") })
        let embedding = try #require(try await TestModels.pipeline.analyze(photo).faces.first?.embedding)
        for value in embedding.values.prefix(8) {
            #expect(!lines.contains { $0.contains(value.description) }, "an embedding value \(value) was logged")
        }
    }
}
