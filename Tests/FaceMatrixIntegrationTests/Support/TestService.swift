import FaceMatrixCore
import FaceMatrixServer
import FacePipeline
import FaceStore
import Foundation
import Hummingbird
import HummingbirdTesting
import ImageDecoding
import Logging
import Recognition

/// A complete service (real pipeline, real PostgreSQL in a fresh database) driven through its router.
struct TestService {
    let store: PostgresFaceRepository
    let service: RecognitionService
    let router: Router<AppRequestContext>
    var logger: Logger?

    /// Runs `body` with a client of the service's router.
    func test<Value: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        if let logger { return try await Application(router: router, logger: logger).test(.router, body) }
        return try await Application(router: router).test(.router, body)
    }

    static func make(
        database: Database,
        keyLifetime: Duration = RecognitionService.Configuration.defaultEnrollmentKeyLifetime,
        uploadLimit: Int = FaceMatrixServer.uploadLimit(for: ImageLimits()),
        concurrency: Int = 2,
        queueLimit: Int = 16,
        maximumFacesPerPhoto: Int = 10,
        operationTimeout: Duration = .seconds(30),
        pipeline: FaceAnalysisPipeline = TestModels.pipeline
    ) async throws -> TestService {
        // The whole suite runs in parallel on two cores, where a query can wait several seconds for the CPU; the
        // service's 5 s would then read as an outage and open the breaker. Tests of outages choose their own.
        var store = PostgresFaceRepository(database: database)
        store.operationTimeout = operationTimeout
        try await store.prepare(for: pipeline.model)
        var settings = RecognitionSettings()
        settings.enrollmentKeyLifetime = keyLifetime
        settings.maximumFacesPerPhoto = maximumFacesPerPhoto
        let service = RecognitionService(
            analyzer: pipeline,
            store: store,
            configuration: try settings.serviceConfiguration(calibrated: TestModels.manifest.embedder.thresholds),
            limiter: AdmissionLimiter(concurrency: concurrency, queueLimit: queueLimit)
        )
        let router = buildRouter(
            checks: [],
            service: service,
            uploadLimit: uploadLimit,
            webDirectory: TryItPage.directory()
        )
        return TestService(store: store, service: service, router: router, logger: nil)
    }
}

/// A multipart/form-data body.
struct MultipartBody {
    static let boundary = "facematrix-test-boundary"
    var parts: [(name: String, filename: String?, bytes: [UInt8])] = []

    static func image(_ bytes: [UInt8], extra: [String: String] = [:]) -> MultipartBody {
        var body = MultipartBody(parts: [("image", "photo.jpg", bytes)])
        for (name, value) in extra.sorted(by: { $0.key < $1.key }) { body.parts.append((name, nil, Array(value.utf8))) }
        return body
    }

    var buffer: ByteBuffer {
        var buffer = ByteBuffer()
        for part in parts {
            buffer.writeString("--\(Self.boundary)\r\n")
            var disposition = "Content-Disposition: form-data; name=\"\(part.name)\""
            if let filename = part.filename { disposition += "; filename=\"\(filename)\"" }
            buffer.writeString(disposition + "\r\n")
            if part.filename != nil { buffer.writeString("Content-Type: application/octet-stream\r\n") }
            buffer.writeString("\r\n")
            buffer.writeBytes(part.bytes)
            buffer.writeString("\r\n")
        }
        buffer.writeString("--\(Self.boundary)--\r\n")
        return buffer
    }

    static var headers: HTTPFields { [.contentType: "multipart/form-data; boundary=\(boundary)"] }
}

extension TestClientProtocol {
    /// Sends a request and returns the status, the decoded JSON body and the headers.
    func send(
        _ uri: String,
        method: HTTPRequest.Method = .post,
        multipart: MultipartBody? = nil,
        json: [String: Any]? = nil,
        headers: HTTPFields = [:]
    ) async throws -> (status: HTTPResponse.Status, body: [String: Any], headers: HTTPFields) {
        var allHeaders = headers
        var body: ByteBuffer?
        if let multipart {
            body = multipart.buffer
            for field in MultipartBody.headers { allHeaders.append(field) }
        } else if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            allHeaders[.contentType] = "application/json"
        }
        return try await execute(uri: uri, method: method, headers: allHeaders, body: body) { response in
            let object =
                (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
            return (response.status, object, response.headers)
        }
    }
}
