import FaceMatrixCore
import FaceMatrixServer
import FaceMatrixTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

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
                    _ path: String, documented: String? = nil, method: HTTPRequest.Method = .post,
                    multipart: MultipartBody? = nil, json: [String: Any]? = nil
                ) async throws -> [String: Any] {
                    let response = try await client.send(path, method: method, multipart: multipart, json: json)
                    try contract.validate(
                        path: documented ?? path, method: method.rawValue, status: response.status.code,
                        body: response.body)
                    return response.body
                }
                _ = try await exchange("/health/live", method: .get)
                let unknown = try await exchange("/api/v1/recognise_user", multipart: .image(obama))
                let key = try #require(unknown["req_id"] as? String)
                let created = try await exchange(
                    "/api/v1/add_user", json: ["name": "Barack", "birthdate": "1961-08-04", "req_id": key])
                let id = try #require(created["user_id"] as? String)
                _ = try await exchange("/api/v1/recognize_user", multipart: .image(obamaAgain))
                let twoPeople = try TestData.bytes("face_recognition/examples/two_people.jpg")
                let group = try await exchange(
                    "/api/v1/recognise_user", multipart: .image(twoPeople, extra: ["all_faces": "true"]))
                #expect((group["faces"] as? [Any])?.count == 2)
                _ = try await exchange("/api/v1/users/\(id)", documented: "/api/v1/users/{id}", method: .get)
                _ = try await exchange(
                    "/api/v1/users/\(id)/faces", documented: "/api/v1/users/{id}/faces", multipart: .image(obamaAgain))
                // Errors.
                _ = try await exchange("/api/v1/recognise_user", multipart: .image(noise))
                _ = try await exchange(
                    "/api/v1/add_user", json: ["name": "X", "birthdate": "1990-01-01", "req_id": key])
                _ = try await exchange(
                    "/api/v1/add_user", multipart: .image(obama, extra: ["name": "Again", "birthdate": "1961-08-04"]))
                _ = try await exchange("/api/v1/add_user", json: ["birthdate": "1990-01-01", "req_id": key])
                _ = try await exchange("/api/v1/users/\(id)", documented: "/api/v1/users/{id}", method: .delete)
                _ = try await exchange("/api/v1/users/\(id)", documented: "/api/v1/users/{id}", method: .get)
            }
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
