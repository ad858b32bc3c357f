import FaceMatrixCore
import FaceMatrixTestSupport
import FacePipeline
import FaceStore
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

/// PostgreSQL stopped and started again under the service: a private cluster of the test's own, so that it can be
/// stopped without disturbing the other tests.
@Suite(.serialized) struct DatabaseOutageTests {
    static let script = TestEnvironment.repositoryRoot.appendingPathComponent("scripts/postgres.sh").path

    static func cluster(_ command: String, _ directory: URL) throws -> String {
        try TestEnvironment.run(script, [command, directory.appendingPathComponent("db").path])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The first photo of `count` different LFW people.
    static func strangers(_ count: Int) throws -> [[UInt8]] {
        let lfw = try TestData.facesDirectory().appendingPathComponent("lfw")
        var seen: Set<String> = []
        var photos: [[UInt8]] = []
        for row in try EvaluateCommandTests.lfwRows(people: count) where seen.insert(row.identity).inserted {
            photos.append([UInt8](try Data(contentsOf: lfw.appendingPathComponent(row.file))))
        }
        return photos
    }

    @Test func anOutageIsReportedAtOnceNothingIsHalfWrittenAndServiceResumesByItself() async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        // The postgres user must be able to reach the cluster's folder.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        defer {
            _ = try? Self.cluster("stop", directory)
            try? FileManager.default.removeItem(at: directory)
        }
        let url = try Self.cluster("start", directory)
        let database = Database(configuration: try DatabaseConfiguration(url: url), logger: TestEnvironment.logger)
        let strangers = try Self.strangers(8)
        try await withRunning(database) {
            // Long enough not to mistake a busy machine for the outage, short enough to keep the test quick.
            let service = try await TestService.make(database: database, operationTimeout: .seconds(15))
            let breaker = service.store.breaker
            try await service.test { client in
                let enrolled = try await client.send(
                    "/api/v1/add_user",
                    multipart: .image(RecognitionAPITests.obama, extra: ["name": "B", "birthdate": "1961-08-04"])
                )
                #expect(enrolled.status == .created)

                // Down: the first request finds out, every later one is refused at once until the database returns.
                _ = try Self.cluster("stop", directory)
                let first = try await client.send(
                    "/api/v1/recognise_user",
                    multipart: .image(RecognitionAPITests.obamaAgain)
                )
                try expectError(first, status: .serviceUnavailable, code: 610, slug: "dependency_unavailable")
                #expect(breaker.isOpen)
                var refusals: [Duration] = []
                for _ in 0..<5 {
                    let started = ContinuousClock.now
                    let refused = try await client.send(
                        "/api/v1/recognise_user",
                        multipart: .image(RecognitionAPITests.obamaAgain)
                    )
                    refusals.append(ContinuousClock.now - started)
                    try expectError(refused, status: .serviceUnavailable, code: 610, slug: "dependency_unavailable")
                    #expect(refused.headers[.retryAfter] == "1")
                }

                // Long enough for the pool's own reconnection back-off to reach seconds (100 ms · 1.25ⁿ).
                try await Task.sleep(for: .seconds(12))

                // Back: service resumes without a restart, on a fresh pool.
                let restarted = ContinuousClock.now
                _ = try Self.cluster("start", directory)
                let returned = ContinuousClock.now
                var recovered: Duration?
                while ContinuousClock.now - returned < .seconds(60) {
                    let answer = try await client.send(
                        "/api/v1/recognise_user",
                        multipart: .image(RecognitionAPITests.obamaAgain)
                    )
                    if answer.status == .ok {
                        #expect(answer.body["message"] as? String == "Match found")
                        recovered = ContinuousClock.now - returned
                        break
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(recovered != nil, "the service did not recover by itself")
                #expect(database.poolReplacements >= 1)

                // Enrolments across an outage: each one is written whole or not at all.
                let outcomes = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for (index, photo) in strangers.enumerated() {
                        group.addTask {
                            try await client.send(
                                "/api/v1/add_user",
                                multipart: .image(photo, extra: ["name": "P\(index)", "birthdate": "1970-01-01"])
                            ).status
                        }
                    }
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(150))
                        _ = try Self.cluster("stop", directory)
                        return .continue
                    }
                    return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
                }
                let answered = outcomes.filter { $0 != .continue }
                #expect(answered.allSatisfy { $0 == .created || $0 == .serviceUnavailable }, "\(answered)")
                _ = try Self.cluster("start", directory)
                var orphans = -1
                var users = -1
                let deadline = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < deadline {
                    do {
                        for try await (count, faceless) in try await database.client.query(
                            """
                            SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (
                                SELECT 1 FROM faces f WHERE f.user_id = u.id)) FROM users u
                            """
                        ).decode((Int, Int).self) {
                            (users, orphans) = (count, faceless)
                        }
                        break
                    } catch {
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
                #expect(orphans == 0, "a user without a face was written")
                // Every 201 is a user; a 503 may still have committed just before the connection dropped.
                #expect(users >= 1 + answered.filter { $0 == .created }.count)
                print(
                    "outage: refusals \(refusals.map { "\($0.milliseconds) ms" }), recovered \(recovered.map { "\($0.milliseconds) ms" } ?? "never") after the start returned (start took \((returned - restarted).milliseconds) ms); enrolments across the outage: \(answered.filter { $0 == .created }.count) created, \(answered.filter { $0 == .serviceUnavailable }.count) refused"
                )
            }
        }
    }
}
