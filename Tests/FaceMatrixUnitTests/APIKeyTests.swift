import FaceMatrixCore
import FaceMatrixServer
import FaceStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Recognition
import Testing

/// Access control through the real router with keys from FACEMATRIX_API_KEYS (stored keys: the integration tests).
@Suite struct APIKeyTests {
    static let recognizeKey = "recognise-secret-0123456789"
    static let adminKey = "admin-secret-0123456789abcdef"

    static func application(keys: [(role: APIRole, secret: String)]) -> some ApplicationProtocol {
        let service = RecognitionService(
            analyzer: RequestParsingTests.NoFaces(),
            store: InMemoryFaceRepository(),
            configuration: .init(policy: IdentificationPolicy(impostorTail: nil, margin: 0, fixedThreshold: 0.5)),
            limiter: AdmissionLimiter(concurrency: 1, queueLimit: 8)
        )
        return Application(
            router: buildRouter(
                checks: [],
                service: service,
                authenticator: APIKeyAuthenticator(configured: keys, repository: nil)
            )
        )
    }

    static let keys: [(role: APIRole, secret: String)] = [(.recognize, recognizeKey), (.admin, adminKey)]

    /// (path, method, JSON body) of a recognition call and of an administration call.
    static let recognize = ("/api/v1/recognise_user", HTTPRequest.Method.post)
    static let enroll = ("/api/v1/add_user", HTTPRequest.Method.post)

    static func status(
        _ client: some TestClientProtocol,
        _ call: (String, HTTPRequest.Method),
        headers: HTTPFields = [:]
    ) async throws -> (Int, [String: Any], HTTPFields) {
        var all = headers
        all[.contentType] = "application/json"
        return try await client.execute(
            uri: call.0,
            method: call.1,
            headers: all,
            body: ByteBuffer(string: "{}")
        ) { response in
            let body =
                (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
            return (Int(response.status.code), body, response.headers)
        }
    }

    @Test func withoutAKeyEveryAPICallIs401AndTheRestStaysOpen() async throws {
        try await Self.application(keys: Self.keys).test(.router) { client in
            for call in [Self.recognize, Self.enroll, ("/api/v1/users/usr_x", .get), ("/api/v1/verify", .post)] {
                let (status, body, headers) = try await Self.status(client, call)
                #expect(status == 401, "\(call.0)")
                #expect(body["error"] as? String == "unauthorized" && body["error_code"] as? Int == 612)
                #expect(headers[.wwwAuthenticate] == #"Bearer realm="FaceMatrix""#)
            }
            for uri in ["/health/live", "/openapi.yaml"] {
                try await client.execute(uri: uri, method: .get) { #expect($0.status == .ok, "\(uri)") }
            }
            let (wrong, _, _) = try await Self.status(
                client,
                Self.recognize,
                headers: [.authorization: "Bearer not-a-key-at-all-1234"]
            )
            #expect(wrong == 401)
        }
    }

    @Test func aRecognizeKeyRecognizesButCannotEnroll() async throws {
        try await Self.application(keys: Self.keys).test(.router) { client in
            let bearer: HTTPFields = [.authorization: "Bearer \(Self.recognizeKey)"]
            // Past authentication: the empty JSON body is refused by recognise itself (415: it takes multipart).
            let recognized = try await Self.status(client, Self.recognize, headers: bearer).0
            #expect(recognized == 415)
            let (status, body, _) = try await Self.status(client, Self.enroll, headers: bearer)
            #expect(status == 403)
            #expect(body["error"] as? String == "forbidden" && body["error_code"] as? Int == 613)
            #expect((body["message"] as? String)?.contains("'admin'") == true)
        }
    }

    @Test func anAdminKeyMayDoEverythingAlsoAsXAPIKey() async throws {
        try await Self.application(keys: Self.keys).test(.router) { client in
            let header = HTTPFields([HTTPField(name: HTTPField.Name("X-API-Key")!, value: Self.adminKey)])
            let recognized = try await Self.status(client, Self.recognize, headers: header).0
            #expect(recognized == 415)
            // Past authentication: add_user refuses the empty body's missing name.
            let enrolled = try await Self.status(client, Self.enroll, headers: header).0
            #expect(enrolled == 400)
        }
    }

    @Test func withoutAnyKeyTheServiceIsOpen() async throws {
        try await Self.application(keys: []).test(.router) { client in
            let enrolled = try await Self.status(client, Self.enroll).0
            #expect(enrolled == 400)
        }
    }

    @Test func configuredKeysAreRead() throws {
        let configuration = try AppConfiguration(environment: [
            "DATABASE_URL": "postgres://a@b/c",
            "FACEMATRIX_API_KEYS": "admin:\(Self.adminKey), recognise:\(Self.recognizeKey)",
        ])
        #expect(configuration.apiKeys.map(\.role) == [.admin, .recognize])
        // The last: one secret under two roles would act as the stronger one.
        for bad in [
            "admin", "root:0123456789abcdef", "admin:short",
            "recognise:samesecret-aaaaaaaaaa,admin:samesecret-aaaaaaaaaa",
        ] {
            #expect(throws: AppConfiguration.InvalidValue.self) {
                try AppConfiguration(environment: ["DATABASE_URL": "postgres://a@b/c", "FACEMATRIX_API_KEYS": bad])
            }
        }
    }
}
