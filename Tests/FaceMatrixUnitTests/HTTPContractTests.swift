import FaceMatrixCore
import FaceMatrixServer
import FaceMatrixTestSupport
import FaceStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Recognition
import Testing

/// The HTTP contract in seconds: the real router over the in-memory repository and the table analyzer (no
/// database, no models), every answer checked against the served OpenAPI document, body and headers. The same
/// flows run against PostgreSQL and the real pipeline in the integration suite.
@Suite struct HTTPContractTests {
    static let contract = Result { try OpenAPIContract(yaml: OpenAPIDocument.yaml) }

    static func router() -> Router<AppRequestContext> {
        buildRouter(
            checks: [ReadinessCheck(name: "table") { "1" }],
            service: RecognitionService(
                analyzer: RecognitionServiceTests.TableAnalyzer(),
                store: InMemoryFaceRepository(),
                configuration: .init(
                    policy: IdentificationPolicy(impostorTail: nil, margin: 0.1, fixedThreshold: 0.8),
                    quality: QualityRequirements(minimumSharpness: 10)
                ),
                limiter: AdmissionLimiter(concurrency: 1)
            )
        )
    }

    /// A multipart body with a "photo" (the table analyzer's bytes) and text fields.
    static func multipart(photo: [UInt8]?, fields: [String: String] = [:]) -> ByteBuffer {
        var body = ""
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            body += "--b\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
        }
        var bytes = Array(body.utf8)
        if let photo {
            bytes += Array("--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"p\"\r\n\r\n".utf8)
            bytes += photo + Array("\r\n".utf8)
        }
        return ByteBuffer(bytes: bytes + Array("--b--\r\n".utf8))
    }

    struct Exchange {
        let status: Int
        let body: [String: Any]
    }

    /// Sends a request and checks the answer against the document (documented path `documented`).
    static func exchange(
        _ client: some TestClientProtocol,
        _ uri: String,
        documented: String? = nil,
        method: HTTPRequest.Method = .post,
        contentType: String? = nil,
        body: ByteBuffer? = nil
    ) async throws -> Exchange {
        var headers = HTTPFields()
        if let contentType { headers[.contentType] = contentType }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
            let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
            let fields = Dictionary(
                response.headers.map { ($0.name.canonicalName, $0.value) },
                uniquingKeysWith: { $1 }
            )
            try contract.get().validate(
                path: documented ?? uri,
                method: method.rawValue,
                status: Int(response.status.code),
                body: json,
                headers: fields
            )
            return Exchange(status: Int(response.status.code), body: json)
        }
    }

    @Test func aWholeFlowAnswersAsDocumented() async throws {
        try await Application(router: Self.router()).test(.router) { client in
            let multipart = "multipart/form-data; boundary=b"
            let unknown = try await Self.exchange(
                client,
                "/api/v1/recognise_user",
                contentType: multipart,
                body: Self.multipart(photo: [1])
            )
            #expect(unknown.status == 200 && unknown.body["message"] as? String == "no_match")
            let key = try #require(unknown.body["req_id"] as? String)
            let created = try await Self.exchange(
                client,
                "/api/v1/add_user",
                contentType: "application/json",
                body: ByteBuffer(string: #"{"name":"Ann","birthdate":"1990-01-01","req_id":"\#(key)"}"#)
            )
            #expect(created.status == 201)
            let id = try #require(created.body["user_id"] as? String)
            let match = try await Self.exchange(
                client,
                "/api/v1/recognize_user",
                contentType: multipart,
                body: Self.multipart(photo: [2])
            )
            #expect(match.body["message"] as? String == "Match found")
            let group = try await Self.exchange(
                client,
                "/api/v1/recognise_user",
                contentType: multipart,
                body: Self.multipart(photo: [1, 3], fields: ["all_faces": "true"])
            )
            #expect((group.body["faces"] as? [Any])?.count == 2)
            let verified = try await Self.exchange(
                client,
                "/api/v1/verify",
                contentType: multipart,
                body: Self.multipart(photo: [2], fields: ["user_id": id])
            )
            #expect(verified.body["verified"] as? Bool == true)
            let userPath = "/api/v1/users/{id}"
            #expect(
                try await Self.exchange(client, "/api/v1/users/\(id)", documented: userPath, method: .get).status == 200
            )
            let added = try await Self.exchange(
                client,
                "/api/v1/users/\(id)/faces",
                documented: "/api/v1/users/{id}/faces",
                contentType: multipart,
                body: Self.multipart(photo: [2])
            )
            #expect(added.status == 201)
            #expect(
                try await Self.exchange(client, "/api/v1/users/\(id)", documented: userPath, method: .delete).status
                    == 200
            )
            #expect(
                try await Self.exchange(client, "/api/v1/users/\(id)", documented: userPath, method: .get).status == 404
            )
            #expect(try await Self.exchange(client, "/health/ready", method: .get).status == 200)
        }
    }

    /// Each documented error status, with its error_code, through the real middleware.
    @Test func errorsAnswerAsDocumented() async throws {
        try await Application(router: Self.router()).test(.router) { client in
            let multipart = "multipart/form-data; boundary=b"
            let cases: [(String, String?, ByteBuffer?, Int, Int)] = [
                ("/api/v1/recognise_user", multipart, Self.multipart(photo: nil), 400, 602),
                ("/api/v1/recognise_user", multipart, Self.multipart(photo: [7]), 400, 601),
                ("/api/v1/recognise_user", multipart, Self.multipart(photo: [1], fields: ["threshold": "2"]), 400, 605),
                ("/api/v1/recognise_user", "text/plain", ByteBuffer(string: "x"), 415, 609),
                ("/api/v1/add_user", "application/json", ByteBuffer(string: "{"), 400, 605),
                ("/api/v1/add_user", "application/json", ByteBuffer(string: #"{"name":1}"#), 400, 605),
                (
                    "/api/v1/add_user", "application/json",
                    ByteBuffer(
                        string:
                            #"{"name":"A","birthdate":"1990-01-01","req_id":"req-\#(String(repeating: "0", count: 32))"}"#
                    ),
                    404, 606
                ),
                (
                    "/api/v1/add_user", multipart,
                    Self.multipart(photo: [9], fields: ["name": "B", "birthdate": "1990-01-01"]), 422, 604
                ),
            ]
            for (uri, contentType, body, status, code) in cases {
                let answer = try await Self.exchange(client, uri, contentType: contentType, body: body)
                #expect(answer.status == status && answer.body["error_code"] as? Int == code, "\(uri): \(answer.body)")
            }
        }
    }
}
