import FaceMatrixCore
import FaceMatrixServer
import FaceStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Keys made by `facematrix keys create`, stored in PostgreSQL, honoured and revoked by a running service.
@Suite(.serialized) struct StoredAPIKeyTests {
    static func keys(_ arguments: [String], database: String) throws -> TestEnvironment.Execution {
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = try EnrollFolderCommandTests.url(ofDatabase: database)
        return try TestEnvironment.execute(
            try EvaluateCommandTests.binary,
            ["keys"] + arguments,
            environment: environment
        )
    }

    @Test func aCreatedKeyWorksUntilRevokedAndOnlyItsHashIsStored() async throws {
        try await withFreshDatabase { database, configuration in
            let name = configuration.database
            let created = try Self.keys(["create", "--role", "admin", "--name", "front desk"], database: name)
            #expect(created.status == 0, "\(created.stderr)")
            let key = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(key.hasPrefix("fmk_") && key.count == 4 + 16 + 1 + 40)
            let id = String(key.dropFirst(4).prefix(16))

            // The secret is not in the database, only its salted hash.
            var stored: [String] = []
            let rows = try await database.client.query(
                "SELECT encode(secret_hash, 'hex') || encode(salt, 'hex') FROM api_keys"
            )
            for try await text in rows.decode(String.self) { stored.append(text) }
            #expect(stored.count == 1 && !stored[0].contains(String(key.suffix(40))))

            let service = try await TestService.make(database: database)
            let authenticator = APIKeyAuthenticator(
                configured: [],
                repository: APIKeyRepository(database: database),
                refreshInterval: .zero
            )
            let router = buildRouter(checks: [], service: service.service, authenticator: authenticator)
            try await Application(router: router).test(.router) { client in
                let withKey = try await client.send(
                    "/api/v1/add_user",
                    multipart: .image(RecognitionAPITests.obama, extra: ["name": "B", "birthdate": "1961-08-04"]),
                    headers: [.authorization: "Bearer \(key)"]
                )
                #expect(withKey.status == .created)
                let without = try await client.send(
                    "/api/v1/recognise_user",
                    multipart: .image(RecognitionAPITests.obamaAgain)
                )
                try expectError(without, status: .unauthorized, code: 612, slug: "unauthorized")
                // A key of the right shape with a wrong secret.
                let forged = try await client.send(
                    "/api/v1/recognise_user",
                    multipart: .image(RecognitionAPITests.obamaAgain),
                    headers: [.authorization: "Bearer fmk_\(id)_\(String(repeating: "0", count: 40))"]
                )
                try expectError(forged, status: .unauthorized, code: 612, slug: "unauthorized")

                let revoked = try Self.keys(["revoke", id], database: name)
                #expect(revoked.status == 0)
                let afterwards = try await client.send(
                    "/api/v1/recognise_user",
                    multipart: .image(RecognitionAPITests.obamaAgain),
                    headers: [.authorization: "Bearer \(key)"]
                )
                try expectError(afterwards, status: .unauthorized, code: 612, slug: "unauthorized")
            }
            let listed = try Self.keys(["list"], database: name)
            #expect(
                listed.stdout.contains(id) && listed.stdout.contains("revoked") && listed.stdout.contains("front desk")
            )
            #expect(!listed.stdout.contains(String(key.suffix(40))))
            #expect(try Self.keys(["revoke", id], database: name).status == 1)
        }
    }
}
