import FaceMatrixCore
import FaceMatrixServer
import FacePipeline
import FaceStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Recognition
import Testing

@testable import FaceMatrixHTTP

/// Request bodies through the real router, over the in-memory store and an analyzer that finds no face: parsing
/// and the error contract without models or a database.
@Suite struct RequestParsingTests {
    struct NoFaces: FaceAnalyzer {
        let model = ModelIdentity(name: "none", version: "1", dimension: 3)
        func analyze(_ bytes: [UInt8], embedding: FaceAnalysisPipeline.EmbeddingScope) async throws -> FaceAnalysis {
            throw FaceMatrixError.faceNotDetected
        }
    }

    static func router(bodyDeadline: Duration = RequestFields.bodyDeadline) -> Router<AppRequestContext> {
        buildRouter(
            checks: [],
            service: RecognitionService(
                analyzer: NoFaces(),
                store: InMemoryFaceRepository(),
                configuration: .init(policy: IdentificationPolicy(impostorTail: nil, margin: 0, fixedThreshold: 0.5)),
                limiter: AdmissionLimiter(concurrency: 1, queueLimit: 8)
            ),
            bodyDeadline: bodyDeadline
        )
    }

    static let endpoints = ["/api/v1/recognise_user", "/api/v1/verify", "/api/v1/add_user", "/api/v1/users/x/faces"]

    static func post(_ client: some TestClientProtocol, _ uri: String, _ body: [UInt8]) async throws -> Int {
        try await client.execute(
            uri: uri,
            method: .post,
            headers: [.contentType: "multipart/form-data; boundary=b"],
            body: ByteBuffer(bytes: body)
        ) { response in
            let isJSON = response.headers[.contentType]?.hasPrefix("application/json") == true
            #expect(isJSON)
            return Int(response.status.code)
        }
    }

    /// A byte ≥ 0x80 where a part's header name is read ended the process inside MultipartKit (an index out of
    /// range). It is refused as a malformed body now, on every endpoint that reads multipart.
    @Test(arguments: endpoints)
    func aNonASCIIHeaderNameIsAMalformedBodyNotACrash(endpoint: String) async throws {
        try await Application(router: Self.router()).test(.router) { client in
            for body in [Array("--b\r\n\u{80}\r\n".utf8), [0x2D, 0x2D, 0x62, 0x0D, 0x0A, 0x80, 0x0D, 0x0A]] {
                let status = try await Self.post(client, endpoint, body)
                #expect(status == 400)
            }
        }
    }

    /// Random damage to a valid body, high bytes included, anywhere: always a JSON answer, never a trap.
    @Test func damagedMultipartBodiesAreAnsweredNeverATrap() async throws {
        let valid = Array(
            """
            --b\r
            Content-Disposition: form-data; name="image"; filename="x.jpg"\r
            Content-Type: image/jpeg\r
            \r
            \u{FF}\u{D8}\u{FF}not really a jpeg\r
            --b\r
            Content-Disposition: form-data; name="user_id"\r
            \r
            usr_00000000000000000000000000000000\r
            --b--\r

            """.utf8
        )
        var generator = SeededGenerator(seed: 10)
        var bodies: [[UInt8]] = []
        for _ in 0..<1_500 {
            var body = valid
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<body.count, using: &generator)
                let byte = UInt8.random(in: 0...255, using: &generator)
                if Bool.random(using: &generator) { body[position] = byte } else { body.insert(byte, at: position) }
            }
            bodies.append(body)
        }
        let damaged = bodies
        try await Application(router: Self.router()).test(.router) { client in
            for body in damaged {
                let status = try await Self.post(client, "/api/v1/verify", body)
                #expect([400, 404, 413].contains(status), "\(status)")
            }
        }
    }

    /// A member sent twice is ambiguous (JSONSerialization keeps one silently): 400/605 naming it, also when one
    /// of the two spellings uses an escape.
    @Test func aJSONMemberSentTwiceIsRefusedNamingIt() async throws {
        let bodies: [(String, String)] = [
            (#"{"name":"Ann","birthdate":"1990-01-01","req_id":"a","name":"Bob"}"#, "name"),
            (#" { "req_id" : "a" , "na\u006de":"x", "name" : null } "#, "name"),
            (#"{"req_id":"req-1","req_id":"req-2","name":"A","birthdate":"1990-01-01"}"#, "req_id"),
        ]
        try await Application(router: Self.router()).test(.router) { client in
            for (body, field) in bodies {
                try await client.execute(
                    uri: "/api/v1/add_user",
                    method: .post,
                    headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: body)
                ) { response in
                    #expect(response.status == .badRequest, "\(body)")
                    let text = String(buffer: response.body)
                    #expect(text.contains(#""error_code":605"#) && text.contains("'\(field)'"), "\(text)")
                }
            }
        }
        // Distinct members, strings with escaped quotes and nested values are not mistaken for repeats.
        for body in [
            #"{"name":"A\"name\":","birthdate":"1990-01-01"}"#, #"{}"#, #"{"a":"1","b":{"a":"2"}}"#,
            #"{"a":null,"b":"x"}"#,
        ] {
            #expect(RequestFields.repeatedMember(inObject: ByteBuffer(string: body)) == nil, "\(body)")
        }
    }

    /// JSON never carries a photo, so a JSON body is held to 64 KiB while it streams in, not to the upload limit.
    @Test func aJSONBodyOverItsOwnLimitIsRefusedWhileStreaming() async throws {
        let filler = String(repeating: "a", count: 64 * 1024)
        try await Application(router: Self.router()).test(.router) { client in
            try await client.execute(
                uri: "/api/v1/add_user",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"name":"\#(filler)"}"#)
            ) { response in
                #expect(response.status == .contentTooLarge)
                #expect(String(buffer: response.body).contains(#""error_code":603"#))
            }
        }
    }

    /// Values the document's patterns refuse are 400/605 naming the field, not a look-up that finds nothing;
    /// text that is not UTF-8 is refused, not stored with replacement characters; JSON members no operation
    /// reads are ignored whatever their type, as the document allows.
    @Test func fieldsAreCheckedAsTheDocumentSays() async throws {
        let key = "req-" + String(repeating: "a", count: 32)
        let cases: [(String, HTTPFields, String, Int, String?)] = [
            (
                "/api/v1/add_user", [.contentType: "application/json"],
                #"{"name":"A","birthdate":"1990-01-01","req_id":"req-\#(String(repeating: "A", count: 32))"}"#, 400,
                "req_id"
            ),
            (
                "/api/v1/add_user", [.contentType: "application/json"],
                #"{"name":"A","birthdate":"1990-01-01","req_id":" \#(key)"}"#, 400, "req_id"
            ),
            (
                "/api/v1/users/usr_00000000000000000000000000000000/faces", [.contentType: "application/json"],
                #"{"req_id":"\#(key)0"}"#, 400, "req_id"
            ),
            (
                "/api/v1/add_user", [.contentType: "application/json"],
                #"{"name":"A","birthdate":"1990-01-01","req_id":"\#(key)","foo":1,"bar":{"x":[]}}"#, 404, nil
            ),
        ]
        try await Application(router: Self.router()).test(.router) { client in
            for (uri, headers, body, status, field) in cases {
                try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) {
                    response in
                    let text = String(buffer: response.body)
                    #expect(Int(response.status.code) == status, "\(body): \(text)")
                    if let field { #expect(text.contains("'\(field)'"), "\(text)") }
                }
            }
            // A user id that breaks the pattern, and a name that is not UTF-8.
            let verify = Array(
                "--b\r\nContent-Disposition: form-data; name=\"user_id\"\r\n\r\nusr_\(String(repeating: "0", count: 31))\r\n--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n\r\nx\r\n--b--\r\n"
                    .utf8
            )
            #expect(try await Self.post(client, "/api/v1/verify", verify) == 400)
            let name =
                Array("--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nJo".utf8) + [0xFF, 0x65]
                + Array(
                    "\r\n--b\r\nContent-Disposition: form-data; name=\"birthdate\"\r\n\r\n1990-01-01\r\n--b\r\nContent-Disposition: form-data; name=\"req_id\"\r\n\r\n\(key)\r\n--b--\r\n"
                        .utf8
                )
            try await client.execute(
                uri: "/api/v1/add_user",
                method: .post,
                headers: [.contentType: "multipart/form-data; boundary=b"],
                body: ByteBuffer(bytes: name)
            ) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("'name': must be UTF-8 text"))
            }
        }
    }
}
