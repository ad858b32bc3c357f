import FaceMatrixCore
import FaceMatrixTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Recognition
import Testing

@testable import FaceMatrixServer

/// `GET /openapi.yaml` is true: every route is documented, every documented route exists, and the bodies the
/// service really sends match the documented schemas.
@Suite struct OpenAPIContractTests {
    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() async throws {
        try await withFreshDatabase { database, _ in
            let service = try await TestService.make(database: database)
            let served = try await service.test { client in
                try await client.execute(uri: "/openapi.yaml", method: .get) { String(buffer: $0.body) }
            }
            let contract = try OpenAPIContract(yaml: served)
            #expect(contract.document["openapi"] as? String == "3.1.0")
            // /metrics is only mounted with a registry; the router under test has none.
            var routes = Set(service.router.routes.map { "\($0.method.rawValue) \($0.path)" })
            routes.insert("GET /metrics")
            // HEAD is generated for every GET route (RFC 9110 §9.3.2) and implied by the GET the document declares.
            routes = routes.filter { !$0.hasPrefix("HEAD ") || !routes.contains("GET " + $0.dropFirst(5)) }
            var documented: Set<String> = []
            for (path, item) in contract.paths {
                for method in (item as? [String: Any] ?? [:]).keys where method != "parameters" {
                    documented.insert("\(method.uppercased()) \(path)")
                }
            }
            #expect(routes == documented)
        }
    }

    @Test func realResponsesMatchTheDocumentedSchemas() async throws {
        let contract = try OpenAPIContract(yaml: OpenAPIDocument.yaml)
        let obama = try TestData.bytes("face_recognition/examples/obama.jpg")
        let obamaAgain = try TestData.bytes("face_recognition/examples/obama2.jpg")
        let noise = try TestData.bytes("facenet-pytorch/test_images/noise/1.jpg")
        try await withFreshDatabase { database, _ in
            let service = try await TestService.make(database: database)
            try await service.test { client in
                func exchange(
                    _ path: String,
                    documented: String? = nil,
                    method: HTTPRequest.Method = .post,
                    multipart: MultipartBody? = nil,
                    json: [String: Any]? = nil
                ) async throws -> [String: Any] {
                    let response = try await client.send(path, method: method, multipart: multipart, json: json)
                    let headers = Dictionary(
                        response.headers.map { ($0.name.canonicalName, $0.value) },
                        uniquingKeysWith: { $1 }
                    )
                    try contract.validate(
                        path: documented ?? path,
                        method: method.rawValue,
                        status: response.status.code,
                        body: response.body,
                        headers: headers
                    )
                    return response.body
                }
                _ = try await exchange("/health/live", method: .get)
                let unknown = try await exchange("/api/v1/recognise_user", multipart: .image(obama))
                let key = try #require(unknown["req_id"] as? String)
                let created = try await exchange(
                    "/api/v1/add_user",
                    json: ["name": "Barack", "birthdate": "1961-08-04", "req_id": key]
                )
                let id = try #require(created["user_id"] as? String)
                _ = try await exchange("/api/v1/recognize_user", multipart: .image(obamaAgain))
                let twoPeople = try TestData.bytes("face_recognition/examples/two_people.jpg")
                let group = try await exchange(
                    "/api/v1/recognise_user",
                    multipart: .image(twoPeople, extra: ["all_faces": "true"])
                )
                #expect((group["faces"] as? [Any])?.count == 2)
                _ = try await exchange("/api/v1/users/\(id)", documented: "/api/v1/users/{id}", method: .get)
                _ = try await exchange(
                    "/api/v1/users/\(id)/faces",
                    documented: "/api/v1/users/{id}/faces",
                    multipart: .image(obamaAgain)
                )
                // Errors.
                _ = try await exchange("/api/v1/recognise_user", multipart: .image(noise))
                _ = try await exchange(
                    "/api/v1/add_user",
                    json: ["name": "X", "birthdate": "1990-01-01", "req_id": key]
                )
                _ = try await exchange(
                    "/api/v1/add_user",
                    multipart: .image(obama, extra: ["name": "Again", "birthdate": "1961-08-04"])
                )
                _ = try await exchange("/api/v1/add_user", json: ["birthdate": "1990-01-01", "req_id": key])
                _ = try await exchange("/api/v1/users/\(id)", documented: "/api/v1/users/{id}", method: .delete)
                _ = try await exchange("/api/v1/users/\(id)", documented: "/api/v1/users/{id}", method: .get)
            }
        }
    }

    /// The document's patterns and the server's validation accept exactly the same values, so that a request
    /// the document calls valid is never refused for its form, and one it calls invalid never succeeds.
    @Test(
        arguments: [
            (
                "Name",
                [
                    "Ann", " Ann ", "Zoë", "李小龙", String(repeating: "é", count: 200), "\u{FEFF}",
                    String(repeating: "a", count: 199) + " ", "a\u{3000}b",
                ],
                [
                    "", " ", "\u{3000}\u{A0}", "Ann\n", "\tAnn", "Bell\u{7}", "a\u{85}b", "a\u{9F}",
                    String(repeating: "a", count: 200) + " ", String(repeating: "e\u{301}", count: 101),
                ]
            ),
            (
                "Email",
                [
                    "", "ann@example.org", "a.b+c@mail.example.co", "ü@例え.テスト",
                    String(repeating: "a", count: 64) + "@ex.am",
                    "a@" + String(repeating: "b", count: 63) + ".cd",
                ],
                [
                    " ", "ann", "a@b", "a@b.c", "@example.org", "a@@b.org", "a b@example.org", "a@example.org ",
                    "a\u{0}b@example.org", "a@.org", "a@example..org", "a\u{2028}@x.org", "a@x.org\u{85}",
                    String(repeating: "a", count: 65) + "@ex.am", "a@" + String(repeating: "b", count: 64) + ".cd",
                    "a@" + String(repeating: "b.", count: 126) + "cd", "a@x.org\n", "\n", "a@x.org\u{2028}",
                ]
            ),
            (
                "Birthdate", ["1990-01-01", "2024-02-29"],
                ["1990-1-01", "19９0-01-01", "1990/01/01", " 1990-01-01", "1990-01-01\n"]
            ),
        ] as [(String, [String], [String])]
    )
    func theDocumentsPatternsAreTheServersValidation(schemaName: String, valid: [String], invalid: [String]) throws {
        let contract = try OpenAPIContract(yaml: OpenAPIDocument.yaml)
        let schema = try contract.schema(schemaName)
        let today = ISO8601DateFormatter().date(from: "2026-11-29T12:00:00Z")
        func serverAccepts(_ value: String) -> Bool {
            switch schemaName {
            case "Name": (try? NewUser.validated(name: value, birthdate: "1990-01-01", email: nil)) != nil
            case "Email": (try? NewUser.validated(name: "Ann", birthdate: "1990-01-01", email: value)) != nil
            default:
                (try? NewUser.validated(name: "Ann", birthdate: value, email: nil, today: today ?? Date())) != nil
            }
        }
        func documentAccepts(_ value: String) -> Bool {
            guard (try? contract.check(value, against: schema, at: schemaName)) != nil else { return false }
            let length = value.unicodeScalars.count
            return length >= schema["minLength"] as? Int ?? 0 && length <= schema["maxLength"] as? Int ?? .max
        }
        for value in valid {
            #expect(documentAccepts(value), "the document refuses \(value.debugDescription)")
            #expect(serverAccepts(value), "the server refuses \(value.debugDescription)")
        }
        for value in invalid {
            #expect(!documentAccepts(value), "the document accepts \(value.debugDescription)")
            #expect(!serverAccepts(value), "the server accepts \(value.debugDescription)")
        }
    }

    @Test func keyIDAndThresholdPatternsAreTheServersChecks() throws {
        let contract = try OpenAPIContract(yaml: OpenAPIDocument.yaml)
        let key = try contract.schema("EnrollmentKey")
        let id = try contract.schema("UserID")
        let recognize = try #require(contract.operation(path: "/api/v1/recognise_user", method: "post"))
        let threshold = try #require(
            (((((recognize["requestBody"] as? [String: Any])?["content"] as? [String: Any])?["multipart/form-data"]
                as? [String: Any])?["schema"] as? [String: Any])?["properties"] as? [String: Any])?["threshold"]
                as? [String: Any]
        )
        let hex = "0123456789abcdef0123456789ABCDEF"
        for (value, server, schema) in [
            ("req-\(hex)", RecognitionService.isWellFormedKey, key),
            (" req-\(hex)", RecognitionService.isWellFormedKey, key),
            ("req-\(hex.dropLast())", RecognitionService.isWellFormedKey, key),
            ("req-\(hex)0", RecognitionService.isWellFormedKey, key),
            ("req_\(hex)", RecognitionService.isWellFormedKey, key),
            ("req-\(hex.dropLast())g", RecognitionService.isWellFormedKey, key),
            ("usr_\(hex)", RecognitionService.isWellFormedUserID, id),
            ("usr_\(hex) ", RecognitionService.isWellFormedUserID, id),
            ("usr-\(hex)", RecognitionService.isWellFormedUserID, id),
            ("usr_\(hex.dropLast())", RecognitionService.isWellFormedUserID, id),
            ("0.6", RecognitionRoutes.isPlainDecimal, threshold), (".6", RecognitionRoutes.isPlainDecimal, threshold),
            ("1", RecognitionRoutes.isPlainDecimal, threshold), ("0.", RecognitionRoutes.isPlainDecimal, threshold),
            (" 0.6", RecognitionRoutes.isPlainDecimal, threshold),
            ("6e-1", RecognitionRoutes.isPlainDecimal, threshold),
            ("-0.6", RecognitionRoutes.isPlainDecimal, threshold),
            ("+0.6", RecognitionRoutes.isPlainDecimal, threshold),
            ("inf", RecognitionRoutes.isPlainDecimal, threshold), ("nan", RecognitionRoutes.isPlainDecimal, threshold),
            (".", RecognitionRoutes.isPlainDecimal, threshold), ("", RecognitionRoutes.isPlainDecimal, threshold),
            ("0.6.1", RecognitionRoutes.isPlainDecimal, threshold),
            ("0.6\n", RecognitionRoutes.isPlainDecimal, threshold),
            ("req-\(hex.lowercased())", RecognitionService.isWellFormedKey, key),
            ("req-\(hex.lowercased())\n", RecognitionService.isWellFormedKey, key),
            ("usr_\(hex.lowercased())\n", RecognitionService.isWellFormedUserID, id),
            ("٠.٦", RecognitionRoutes.isPlainDecimal, threshold),
        ] as [(String, (String) -> Bool, [String: Any])] {
            let documented = (try? contract.check(value, against: schema, at: value)) != nil
            #expect(documented == server(value), "\(value.debugDescription): document \(documented)")
        }
    }

    @Test func theCheckerCatchesADeviation() throws {
        let contract = try OpenAPIContract(yaml: OpenAPIDocument.yaml)
        let good: [String: Any] = [
            "status": "success", "message": "User added successfully", "user_id": "usr_1", "requestId": "r",
        ]
        try contract.validate(path: "/api/v1/add_user", method: "POST", status: 201, body: good)
        var missing = good
        missing["user_id"] = nil
        #expect(throws: ContractViolation.self) {
            try contract.validate(path: "/api/v1/add_user", method: "POST", status: 201, body: missing)
        }
        var extra = good
        extra["surprise"] = 1
        #expect(throws: ContractViolation.self) {
            try contract.validate(path: "/api/v1/add_user", method: "POST", status: 201, body: extra)
        }
        #expect(throws: ContractViolation.self) {
            try contract.validate(path: "/api/v1/add_user", method: "POST", status: 418, body: good)
        }
    }
}
