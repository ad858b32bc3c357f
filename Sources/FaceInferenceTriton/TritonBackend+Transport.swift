import AsyncHTTPClient
import FaceInference
import Foundation
import NIOCore
import NIOHTTP1

extension TritonBackend {
    struct Response {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: [UInt8]
    }

    func send(
        _ method: HTTPMethod,
        _ path: String,
        body: [UInt8]? = nil,
        headers: [(String, String)] = []
    ) async throws -> Response {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/octet-stream")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            let bytes = try await response.body.collect(upTo: Self.largestResponse)
            return Response(status: response.status, headers: response.headers, body: Array(buffer: bytes))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw InferenceError.unavailable("Triton at \(baseURL) (FACEMATRIX_TRITON_URL) cannot be reached: \(error)")
        }
    }

    /// The P-Net's answer for the largest working image is a few MB; anything near this is not Triton's.
    private static let largestResponse = 256 << 20

    /// A KServe v2 JSON answer; anything else is a server that is not Triton's API (a wrong port, another service).
    func decode<Value: Decodable>(_ type: Value.Type, from body: [UInt8], what: String) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch {
            throw InferenceError.unavailable(
                "the server at \(baseURL) (FACEMATRIX_TRITON_URL) did not answer the \(what) as Triton's KServe v2 "
                    + "API does: \(Self.errorMessage(body))"
            )
        }
    }

    /// The `error` member of Triton's JSON error body, or the body itself, shortened.
    static func errorMessage(_ body: [UInt8]) -> String {
        struct ErrorBody: Decodable { let error: String }
        if let decoded = try? JSONDecoder().decode(ErrorBody.self, from: Data(body)) { return decoded.error }
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    struct ServerMetadata: Decodable { let version: String }
}

extension Duration {
    /// The duration in whole nanoseconds, for NIO's `TimeAmount`; the timeouts read from settings are far below
    /// the 292 years where this would overflow.
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
