import FaceMatrixConfiguration
import FaceMatrixCore
import FaceMatrixServer
import FaceMatrixTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import ImageDecoding
import PostgresNIO
import Recognition
import Testing

@testable import FaceStore

/// The product end to end through HTTP: real photos, real models, real PostgreSQL.
@Suite struct RecognitionAPITests {
    static let obama = try! TestData.bytes("face_recognition/examples/obama.jpg")
    static let obamaAgain = try! TestData.bytes("face_recognition/examples/obama2.jpg")
    static let biden = try! TestData.bytes("face_recognition/examples/biden.jpg")
    static let noFace = try! TestData.bytes("facenet-pytorch/test_images/noise/1.jpg")

    @Test(arguments: TestModels.runtimes)
    func unknownThenEnrolledThenRecognizedFromAnotherPhoto(on runtime: InferenceRuntime) async throws {
        let pipeline = try await TestModels.preparedPipeline(on: runtime)
        try await withFreshDatabase { database, _ in
            let service = try await TestService.make(database: database, pipeline: pipeline)
            try await service.test { client in
                let first = try await client.send("/api/v1/recognise_user", multipart: .image(Self.obama))
                #expect(first.status == .ok)
                #expect(first.body["status"] as? String == "failure")
                #expect(first.body["message"] as? String == "no_match")
                #expect(first.body["user_info"] is NSNull)
                let key = try #require(first.body["req_id"] as? String)
                #expect(key.hasPrefix("req-") && key.count == 36)
                let enrollmentKey = try #require(first.body["enrollmentKey"] as? [String: Any])
                #expect(enrollmentKey["req_id"] as? String == key)
                let expiresAt = try #require(enrollmentKey["expiresAt"] as? String)
                #expect(expiresAt.hasSuffix("Z"))
                let metadata = try #require(first.body["metadata"] as? [String: Any])
                #expect(metadata["faces_detected"] as? Int == 1)
                #expect(metadata["user_id"] == nil)

                let added = try await client.send(
                    "/api/v1/add_user",
                    json: [
                        "name": "  Barack Obama ", "birthdate": "1961-08-04", "req_id": key, "email": "b@example.org",
                    ]
                )
                #expect(added.status == .created)
                #expect(added.body["message"] as? String == "User added successfully")
                let userID = try #require(added.body["user_id"] as? String)

                // A different photo of the same person.
                let second = try await client.send("/api/v1/recognise_user", multipart: .image(Self.obamaAgain))
                #expect(second.status == .ok)
                #expect(second.body["message"] as? String == "Match found")
                let info = try #require(second.body["user_info"] as? [String: Any])
                #expect(info["id"] as? String == userID)
                #expect(info["name"] as? String == "Barack Obama")
                #expect(info["birthdate"] as? String == "1961-08-04")
                #expect(info["email"] as? String == "b@example.org")
                let matched = try #require(second.body["metadata"] as? [String: Any])
                #expect(matched["user_id"] as? String == userID)
                #expect((matched["similarity"] as? Double ?? 0) >= (matched["threshold"] as? Double ?? 1))

                // Someone else is not matched to him.
                let other = try await client.send("/api/recognize_user", multipart: .image(Self.biden))
                #expect(other.body["message"] as? String == "no_match")

                // The key was consumed.
                let reuse = try await client.send(
                    "/api/v1/add_user",
                    json: ["name": "Someone", "birthdate": "1990-01-01", "req_id": key]
                )
                try expectError(reuse, status: .notFound, code: 606, slug: "enrollment_key_not_found")

                let details = try await client.send("/api/v1/users/\(userID)", method: .get)
                #expect(details.status == .ok)
                #expect((details.body["user"] as? [String: Any])?["faces"] as? Int == 1)
            }
        }
    }

    @Test func verificationComparesAPhotoWithOneUser() async throws {
        try await withFreshDatabase { database, _ in
            let service = try await TestService.make(database: database)
            try await service.test { client in
                let added = try await client.send(
                    "/api/v1/add_user",
                    multipart: .image(Self.obama, extra: ["name": "B", "birthdate": "1961-08-04"])
                )
                let userID = try #require(added.body["user_id"] as? String)
                let same = try await client.send(
                    "/api/v1/verify",
                    multipart: .image(Self.obamaAgain, extra: ["user_id": userID])
                )
                #expect(same.status == .ok)
                #expect(same.body["verified"] as? Bool == true)
                #expect(same.body["message"] as? String == "Same person")
                let threshold = try #require(same.body["threshold"] as? Double)
                #expect(threshold == TestModels.manifest.embedder.thresholds?.verification)
                #expect(try #require(same.body["similarity"] as? Double) >= threshold)
                #expect((same.body["quality"] as? [String: Any])?["frontal_score"] is Double)

                let other = try await client.send(
                    "/api/v1/verify",
                    multipart: .image(Self.biden, extra: ["user_id": userID])
                )
                #expect(other.status == .ok)
                #expect(other.body["verified"] as? Bool == false)
                #expect(try #require(other.body["similarity"] as? Double) < threshold)

                try expectError(
                    try await client.send(
                        "/api/v1/verify",
                        multipart: .image(
                            Self.obamaAgain,
                            extra: ["user_id": "usr_" + String(repeating: "0", count: 32)]
                        )
                    ),
                    status: .notFound,
                    code: 607,
                    slug: "user_not_found"
                )
                // Ids outside the documented form are refused as such (a NUL byte once reached PostgreSQL and came
                // back as a 500).
                for malformed in ["usr_unknown", "usr_a\u{0}b"] {
                    try expectError(
                        try await client.send(
                            "/api/v1/verify",
                            multipart: .image(Self.obamaAgain, extra: ["user_id": malformed])
                        ),
                        status: .badRequest,
                        code: 605,
                        slug: "validation_failed"
                    )
                }
                try expectError(
                    try await client.send("/api/v1/verify", multipart: .image(Self.obamaAgain)),
                    status: .badRequest,
                    code: 605,
                    slug: "validation_failed"
                )
                try expectError(
                    try await client.send(
                        "/api/v1/verify",
                        multipart: .image(Self.noFace, extra: ["user_id": userID])
                    ),
                    status: .badRequest,
                    code: 601,
                    slug: "face_not_detected"
                )
            }
        }
    }

    /// A phone hands over HEIC (stored sideways, turned by its own rotation) or WebP (with an EXIF orientation).
    @Test func phonePhotosInHEICAndWebPAreRecognized() async throws {
        let upright = try ImageDecoder().decode(Self.obamaAgain).image
        let sideways = ImageMath.stored(fromUpright: upright, orientation: 6)
        let heic = try Encoders.heif(
            sideways.pixels,
            width: sideways.width,
            height: sideways.height,
            channels: 3,
            quality: 80,
            orientation: 6
        )
        let webp = try Encoders.webp(
            sideways.pixels,
            width: sideways.width,
            height: sideways.height,
            channels: 3,
            quality: 80,
            exifTIFF: Encoders.tiffWithOrientation(6, bigEndian: false)
        )
        try await withFreshDatabase { database, _ in
            let service = try await TestService.make(database: database)
            try await service.test { client in
                let added = try await client.send(
                    "/api/v1/add_user",
                    multipart: .image(Self.obama, extra: ["name": "B", "birthdate": "1961-08-04"])
                )
                let userID = try #require(added.body["user_id"] as? String)
                for (format, bytes) in [("HEIC", heic), ("WebP", webp)] {
                    let response = try await client.send("/api/v1/recognise_user", multipart: .image(bytes))
                    #expect(response.status == .ok, "\(format)")
                    #expect(response.body["message"] as? String == "Match found", "\(format)")
                    let metadata = try #require(response.body["metadata"] as? [String: Any])
                    #expect(metadata["user_id"] as? String == userID, "\(format)")
                    // The box is in the upright picture's pixels: inside it, and upright-shaped (taller than wide).
                    let box = try #require(metadata["box"] as? [String: Double])
                    let (x, y) = (try #require(box["x"]), try #require(box["y"]))
                    let (width, height) = (try #require(box["width"]), try #require(box["height"]))
                    #expect(x >= 0 && y >= 0 && height > width, "\(format)")
                    #expect(x + width <= Double(upright.width) + 1 && y + height <= Double(upright.height) + 1)
                }
            }
        }
    }

    /// A group photo: every face gets its own answer; unmatched faces their own enrollment key.
    @Test func everyFaceOfAGroupPhotoIsRecognized() async throws {
        let twoPeople = try TestData.bytes("face_recognition/examples/two_people.jpg")
        let kitWithRose = try TestData.bytes("face_recognition/examples/knn_examples/test/kit_with_rose.jpg")
        let sixFaces = try TestData.bytes("facenet-pytorch/multiface.jpg")
        try await withFreshDatabase { database, _ in
            let service = try await TestService.make(database: database, maximumFacesPerPhoto: 4)
            try await service.test { client in
                var enrolled: [String: String] = [:]
                for (name, photo) in [("Barack Obama", Self.obama), ("Joe Biden", Self.biden)] {
                    let added = try await client.send(
                        "/api/v1/add_user",
                        multipart: .image(photo, extra: ["name": name, "birthdate": "1950-01-01"])
                    )
                    enrolled[try #require(added.body["user_id"] as? String)] = name
                }

                let group = try await client.send(
                    "/api/v1/recognise_user",
                    multipart: .image(twoPeople, extra: ["all_faces": "true"])
                )
                #expect(group.status == .ok)
                #expect(group.body["status"] as? String == "success")
                #expect(group.body["message"] as? String == "2 of 2 faces matched")
                let faces = try #require(group.body["faces"] as? [[String: Any]])
                let matched = faces.compactMap { ($0["user_info"] as? [String: Any])?["id"] as? String }
                #expect(Set(matched) == Set(enrolled.keys))
                #expect(faces.allSatisfy { $0["decision"] as? String == "match" && $0["req_id"] == nil })
                let metadata = try #require(group.body["metadata"] as? [String: Any])
                #expect(metadata["faces_detected"] as? Int == 2)
                #expect(metadata["gallery_size"] as? Int == 2)

                // Without the flag the answer is the main face's, as before.
                let single = try await client.send("/api/v1/recognise_user", multipart: .image(twoPeople))
                #expect(single.body["faces"] == nil)
                #expect(single.body["message"] as? String == "Match found")
                #expect((single.body["metadata"] as? [String: Any])?["faces_detected"] as? Int == 2)

                // Two strangers: an enrollment key each, and either one can enrol.
                let strangers = try await client.send(
                    "/api/v1/recognise_user",
                    multipart: .image(kitWithRose, extra: ["all_faces": "1"])
                )
                #expect(strangers.body["status"] as? String == "failure")
                let unknown = try #require(strangers.body["faces"] as? [[String: Any]])
                #expect(unknown.count == 2)
                let keys = unknown.compactMap { $0["req_id"] as? String }
                #expect(keys.count == 2 && Set(keys).count == 2)
                #expect(unknown.allSatisfy { ($0["quality_shortfalls"] as? [Any])?.isEmpty == true })
                let added = try await client.send(
                    "/api/v1/add_user",
                    json: ["name": "Kit", "birthdate": "1986-12-26", "req_id": keys[0]]
                )
                #expect(added.status == .created)

                // Six faces, four looked up: the most prominent, each with its own box.
                let crowd = try await client.send(
                    "/api/v1/recognise_user",
                    multipart: .image(sixFaces, extra: ["all_faces": "true"])
                )
                let crowdFaces = try #require(crowd.body["faces"] as? [[String: Any]])
                #expect(crowdFaces.count == 4)
                #expect((crowd.body["metadata"] as? [String: Any])?["faces_detected"] as? Int == 6)
                let boxes = crowdFaces.compactMap { $0["box"] as? [String: Double] }
                #expect(Set(boxes.map { "\($0["x"] ?? 0),\($0["y"] ?? 0)" }).count == 4)

                try expectError(
                    try await client.send(
                        "/api/v1/recognise_user",
                        multipart: .image(twoPeople, extra: ["all_faces": "maybe"])
                    ),
                    status: .badRequest,
                    code: 605,
                    slug: "validation_failed"
                )
                try expectError(
                    try await client.send(
                        "/api/v1/recognise_user",
                        multipart: .image(Self.noFace, extra: ["all_faces": "true"])
                    ),
                    status: .badRequest,
                    code: 601,
                    slug: "face_not_detected"
                )
            }
        }
    }

    @Test func anExpiredKeyIsNotFound() async throws {
        try await withFreshDatabase { database, _ in
            let service = try await TestService.make(database: database, keyLifetime: .seconds(1))
            try await service.test { client in
                let first = try await client.send("/api/v1/recognise_user", multipart: .image(Self.obama))
                let key = try #require(first.body["req_id"] as? String)
                try await Task.sleep(for: .milliseconds(1500))
                let late = try await client.send(
                    "/api/v1/add_user",
                    json: ["name": "Late", "birthdate": "1990-01-01", "req_id": key]
                )
                try expectError(late, status: .notFound, code: 606, slug: "enrollment_key_not_found")
            }
            // The periodic clean-up removes the expired embedding.
            #expect(try await service.store.deleteExpiredEnrollmentKeys() == 1)
        }
    }

    @Test(arguments: TestModels.runtimes)
    func badUploadsGetTheirDocumentedErrors(on runtime: InferenceRuntime) async throws {
        let pipeline = try await TestModels.preparedPipeline(on: runtime)
        try await withFreshDatabase { database, _ in
            let service = try await TestService.make(database: database, uploadLimit: 1_500_000, pipeline: pipeline)
            try await service.test { client in
                try expectError(
                    try await client.send("/api/v1/recognise_user", multipart: .image(Self.noFace)),
                    status: .badRequest,
                    code: 601,
                    slug: "face_not_detected"
                )
                var random = SeededGenerator(seed: 7)
                try expectError(
                    try await client.send("/api/v1/recognise_user", multipart: .image(random.bytes(5000))),
                    status: .badRequest,
                    code: 602,
                    slug: "invalid_image"
                )
                try expectError(
                    try await client.send("/api/v1/recognise_user", multipart: MultipartBody(parts: [])),
                    status: .badRequest,
                    code: 602,
                    slug: "invalid_image"
                )
                let large = try TestData.bytes("facenet-pytorch/test_images/shea_whigham/1.jpg")
                #expect(large.count > 1_500_000)
                try expectError(
                    try await client.send("/api/v1/recognise_user", multipart: .image(large)),
                    status: .contentTooLarge,
                    code: 603,
                    slug: "image_too_large"
                )
                try expectError(
                    try await client.send(
                        "/api/v1/recognise_user",
                        multipart: .image(Self.obama, extra: ["threshold": "2"])
                    ),
                    status: .badRequest,
                    code: 605,
                    slug: "validation_failed"
                )
                try expectError(
                    try await client.send(
                        "/api/v1/add_user",
                        json: ["name": "X", "birthdate": "2001-02-29", "req_id": "req-x"]
                    ),
                    status: .badRequest,
                    code: 605,
                    slug: "validation_failed"
                )
                // Two photos in one request: ambiguous, so refused, naming the field.
                var twoImages = MultipartBody.image(Self.obama)
                twoImages.parts.append(("image", "other.jpg", Self.noFace))
                let twoAnswer = try await client.send("/api/v1/recognise_user", multipart: twoImages)
                try expectError(twoAnswer, status: .badRequest, code: 605, slug: "validation_failed")
                #expect((twoAnswer.body["message"] as? String)?.contains("image") == true)
                try expectError(
                    try await client.send("/api/v1/users/usr_unknown", method: .get),
                    status: .notFound,
                    code: 607,
                    slug: "user_not_found"
                )
                try expectError(
                    try await client.send("/api/v1/users/usr_unknown", method: .delete),
                    status: .notFound,
                    code: 607,
                    slug: "user_not_found"
                )
                let malformed = try await client.execute(
                    uri: "/api/v1/add_user",
                    method: .post,
                    headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: "{\"name\": ")
                ) { response in response }
                #expect(malformed.status == .badRequest)
                let brokenMultipart = try await client.execute(
                    uri: "/api/v1/recognise_user",
                    method: .post,
                    headers: MultipartBody.headers,
                    body: ByteBuffer(string: "--\(MultipartBody.boundary)\r\nno headers end")
                ) { response in response }
                #expect(brokenMultipart.status == .badRequest)
                try expectError(
                    try await client.send(
                        "/api/v1/recognise_user",
                        headers: [.contentType: "text/plain"]
                    ),
                    status: .unsupportedMediaType,
                    code: 609,
                    slug: "unsupported_media_type"
                )
            }
        }
    }

    @Test(arguments: TestModels.runtimes)
    func duplicatesAreRefusedAndNothingIsWritten(on runtime: InferenceRuntime) async throws {
        let pipeline = try await TestModels.preparedPipeline(on: runtime)
        try await withFreshDatabase { database, _ in
            let service = try await TestService.make(database: database, pipeline: pipeline)
            try await service.test { client in
                let created = try await client.send(
                    "/api/v1/add_user",
                    multipart: .image(
                        Self.obama,
                        extra: ["name": "Barack", "birthdate": "1961-08-04", "email": "Same@Example.org"]
                    )
                )
                #expect(created.status == .created)
                // The same face again, under another name.
                try expectError(
                    try await client.send(
                        "/api/v1/add_user",
                        multipart: .image(Self.obamaAgain, extra: ["name": "Copy", "birthdate": "1961-08-04"])
                    ),
                    status: .conflict,
                    code: 608,
                    slug: "user_already_exists"
                )
                // Another face with the same email, in other letter case.
                try expectError(
                    try await client.send(
                        "/api/v1/add_user",
                        multipart: .image(
                            Self.biden,
                            extra: ["name": "Joe", "birthdate": "1942-11-20", "email": "same@example.ORG"]
                        )
                    ),
                    status: .conflict,
                    code: 608,
                    slug: "user_already_exists"
                )
                // Both the image and a key: refused.
                try expectError(
                    try await client.send(
                        "/api/v1/add_user",
                        multipart: .image(
                            Self.biden,
                            extra: ["name": "Joe", "birthdate": "1942-11-20", "req_id": "req-1"]
                        )
                    ),
                    status: .badRequest,
                    code: 605,
                    slug: "validation_failed"
                )
            }
            #expect(try await service.store.statistics(model: TestModels.pipeline.model).users == 1)
        }
    }

    @Test func erasedUsersAreNoLongerRecognized() async throws {
        try await withFreshDatabase { database, _ in
            let service = try await TestService.make(database: database)
            try await service.test { client in
                let created = try await client.send(
                    "/api/v1/add_user",
                    multipart: .image(Self.obama, extra: ["name": "Barack", "birthdate": "1961-08-04"])
                )
                let userID = try #require(created.body["user_id"] as? String)
                let added = try await client.send("/api/v1/users/\(userID)/faces", multipart: .image(Self.obamaAgain))
                #expect(added.status == .created)
                #expect(added.body["faces"] as? Int == 2)
                // Someone else's face cannot be added to him.
                let other = try await client.send(
                    "/api/v1/add_user",
                    multipart: .image(Self.biden, extra: ["name": "Joe", "birthdate": "1942-11-20"])
                )
                let bidenID = try #require(other.body["user_id"] as? String)
                try expectError(
                    try await client.send("/api/v1/users/\(bidenID)/faces", multipart: .image(Self.obama)),
                    status: .conflict,
                    code: 608,
                    slug: "user_already_exists"
                )

                #expect(
                    try await client.send("/api/v1/recognise_user", multipart: .image(Self.obama)).body["message"]
                        as? String == "Match found"
                )
                let deleted = try await client.send("/api/v1/users/\(userID)", method: .delete)
                #expect(deleted.status == .ok)
                let after = try await client.send("/api/v1/recognise_user", multipart: .image(Self.obama))
                #expect(after.body["message"] as? String == "no_match")
                #expect((after.body["req_id"] as? String)?.hasPrefix("req-") == true)
            }
            let rows = try await database.client.query("SELECT count(*)::int FROM faces")
            for try await count in rows.decode(Int.self) { #expect(count == 1) }  // only Biden's face is left
        }
    }

    @Test func twoConcurrentEnrollmentsWithOneKeyCreateOneUser() async throws {
        try await withFreshDatabase { database, _ in
            let service = try await TestService.make(database: database)
            try await service.test { client in
                let first = try await client.send("/api/v1/recognise_user", multipart: .image(Self.obama))
                let key = try #require(first.body["req_id"] as? String)
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for index in 0..<2 {
                        group.addTask {
                            try await client.send(
                                "/api/v1/add_user",
                                json: ["name": "Racer \(index)", "birthdate": "1961-08-04", "req_id": key]
                            ).status
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.sorted { $0.code < $1.code } == [.created, .notFound])
            }
            #expect(try await service.store.statistics(model: TestModels.pipeline.model).users == 1)
        }
    }

    @Test func anUnreachableDatabaseGives503WithRetryAfter() async throws {
        // A port nothing listens on.
        var configuration = try DatabaseConfiguration(url: try TestEnvironment.databaseURL)
        configuration.port = 1
        let database = Database(configuration: configuration, logger: TestEnvironment.logger)
        try await withRunning(database) {
            let store = PostgresFaceRepository(database: database)
            var settings = RecognitionSettings()
            settings.enrollmentKeyLifetime = .seconds(60)
            let service = RecognitionService(
                analyzer: TestModels.pipeline,
                store: store,
                configuration: try settings.serviceConfiguration(calibrated: TestModels.manifest.embedder.thresholds),
                limiter: AdmissionLimiter(concurrency: 2, queueLimit: 4)
            )
            let router = buildRouter(checks: [], service: service)
            try await Application(router: router).test(.router) { client in
                let response = try await client.send("/api/v1/recognise_user", multipart: .image(Self.obama))
                try expectError(response, status: .serviceUnavailable, code: 610, slug: "dependency_unavailable")
                #expect(response.headers[.retryAfter] != nil)
            }
        }
    }

    /// The nearest-neighbour query is served by the model's HNSW index, not a scan of every face.
    @Test func nearestNeighbourSearchUsesTheHNSWIndex() async throws {
        try await withFreshDatabase { database, _ in
            let model = TestModels.pipeline.model
            var store = PostgresFaceRepository(database: database)
            // The suite shares two cores; 5 s could read a busy machine as an outage.
            store.operationTimeout = .seconds(30)
            try await store.prepare(for: model)
            // A gallery of 3 000 random faces, so that the planner weighs the index against real work.
            try await database.client.query(
                "INSERT INTO users (id, name, birthdate) VALUES ('usr_random', 'Random', '2000-01-01')"
            )
            try await database.client.query(
                """
                INSERT INTO faces (user_id, model, embedding, face)
                SELECT 'usr_random', \(model.key),
                       (SELECT array_agg(random() - 0.5) FROM generate_series(1, \(model.dimension)) WHERE n > 0)::vector,
                       '{}'::jsonb
                FROM generate_series(1, 3000) AS n
                """
            )
            try await database.client.query("ANALYZE faces")
            let embedding = Embedding(normalizing: (0..<model.dimension).map { Float($0 % 7) - 3 })!
            let query = PostgresFaceRepository.nearestFacesQuery(embedding, model: model, limit: 32)
            let plan = try await database.client.withConnection { connection in
                var explain = query
                explain.sql = "EXPLAIN " + query.sql
                var lines: [String] = []
                for try await line in try await connection.query(explain, logger: TestEnvironment.logger)
                    .decode(String.self)
                {
                    lines.append(line)
                }
                return lines.joined(separator: "\n")
            }
            #expect(plan.contains("Index Scan using faces_hnsw_"), "\(plan)")

            // The index is built with ef_construction 128, and a search walks it with ef_search 200, not pgvector's
            // 40, which missed the enrolled person for 13 % of probes among 100,000 faces.
            var definition = ""
            for try await text in try await database.client.query(
                "SELECT indexdef FROM pg_indexes WHERE indexname LIKE 'faces_hnsw_%'"
            ).decode(String.self) {
                definition = text
            }
            #expect(definition.contains("ef_construction='128'"), "\(definition)")
            let efSearch = try await database.client.withConnection { connection in
                _ = try await store.search(embedding, model: model, gallerySize: 1, on: connection)
                var value = ""
                for try await text in try await connection.query("SHOW hnsw.ef_search", logger: TestEnvironment.logger)
                    .decode(String.self)
                {
                    value = text
                }
                return value
            }
            #expect(efSearch == "200")
        }
    }

    /// Embeddings of another model are invisible: switching the model can never return a wrong match.
    @Test func facesOfAnotherModelAreNeverCompared() async throws {
        try await withFreshDatabase { database, _ in
            var store = PostgresFaceRepository(database: database)
            // The suite shares two cores; 5 s could read a busy machine as an outage.
            store.operationTimeout = .seconds(30)
            let active = TestModels.pipeline.model
            var other = active
            other.version = "other-weights"
            try await store.prepare(for: active)
            try await store.prepare(for: other)
            let face = try await TestModels.pipeline.analyze(Self.obama).faces[0]
            let enrolled = EnrolledFace(embedding: face.embedding!, detection: face.detection, quality: face.quality)
            let user = try NewUser.validated(name: "Old model user", birthdate: "1961-08-04", email: nil)
            _ = try await store.createUser(user, face: .face(enrolled), model: other) { _, _ in }
            let search = try await store.searchUsers(similarTo: face.embedding!, model: active)
            #expect(search.best == nil)
            #expect(search.gallerySize == 0)
            let sameModel = try await store.searchUsers(similarTo: face.embedding!, model: other)
            #expect((sameModel.best?.similarity ?? 0) > 0.99)
        }
    }
}

/// Checks a response against the error contract: status, code, slug, a message, and the request id in both the
/// body and the header.
func expectError(
    _ response: (status: HTTPResponse.Status, body: [String: Any], headers: HTTPFields),
    status: HTTPResponse.Status,
    code: Int,
    slug: String,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(response.status == status, sourceLocation: sourceLocation)
    #expect(response.body["status"] as? String == "error", sourceLocation: sourceLocation)
    #expect(response.body["error_code"] as? Int == code, sourceLocation: sourceLocation)
    #expect(response.body["error"] as? String == slug, sourceLocation: sourceLocation)
    #expect(!((response.body["message"] as? String) ?? "").isEmpty, sourceLocation: sourceLocation)
    let requestID = try #require(response.headers[.requestID], sourceLocation: sourceLocation)
    #expect(response.body["requestId"] as? String == requestID, sourceLocation: sourceLocation)
}
