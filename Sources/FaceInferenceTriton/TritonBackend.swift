public import AsyncHTTPClient
public import FaceInference
public import FaceMatrixCore
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Runs the pipeline's networks on NVIDIA Triton Inference Server over KServe v2 HTTP with the binary-tensor
/// extension, on pooled keep-alive connections.
///
/// HTTP rather than gRPC: on this project's models the two measured alike (1×3×160×160 FP32 round trip, p50
/// 2.7–3.2 ms over HTTP, 2.9 ms over gRPC), and HTTP needs no generated protobuf code. Each call the pipeline
/// makes (a pyramid level, the R-Net, O-Net or embedder batch) is one request; the server's dynamic batcher
/// merges concurrent requests for the same model.
public final class TritonBackend: InferenceBackend {
    /// The server's base URL, e.g. `http://127.0.0.1:8000`.
    public let baseURL: String
    private let models: [String: TritonModel]
    let client: HTTPClient
    let timeout: Duration
    /// The most rows one request may carry, per role, from each model's configuration (read by `prepare()`).
    private let batchLimits = Mutex<[String: Int]>([:])

    /// The process's client for Triton: pooled keep-alive connections, no compression, 1 s to connect.
    ///
    /// Not `HTTPClient.shared`, whose browser-like configuration asks for compressed answers: Triton then deflates
    /// every output (2.2 MB of a P-Net level shrank 12 % for 70 % more time), and a blank pyramid level compresses
    /// more than that client's 25× decompression limit, which failed every photo on a plain background. The short
    /// connect timeout makes a call to a stopped server fail within a second instead of retrying connections until
    /// the call's own timeout.
    public static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            timeout: .init(connect: .seconds(1)),
            decompression: .disabled
        )
        configuration.connectionPool.idleTimeout = .seconds(60)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// "triton at" and the server's URL.
    public var runtimeDescription: String { "triton at \(baseURL)" }

    /// Prepares a client; nothing is sent until `prepare()`.
    ///
    /// - Parameters:
    ///   - baseURL: The server's HTTP endpoint; a trailing `/` is dropped.
    ///   - models: The model serving each role ("pnet", "rnet", "onet", "embedder").
    ///   - timeout: The longest one call may take, connecting included.
    ///   - client: The HTTP client; by default `TritonBackend.client`, which pools keep-alive connections.
    public init(
        baseURL: String,
        models: [String: TritonModel],
        timeout: Duration = .seconds(10),
        client: HTTPClient = TritonBackend.client
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.models = models
        self.timeout = timeout
        self.client = client
    }

    /// Runs the role's model on the server.
    ///
    /// - Throws: `InferenceError.unknownModel` for a role with no model; `.unavailable` when the server cannot be
    ///   reached, times out, or answers 404 or 5xx (a model not loaded, the server starting or stopping); `.refused`
    ///   when it answers 400 (inputs the deployed model does not take); `.unexpectedOutput` for an answer that is
    ///   not a usable KServe v2 response.
    public func run(model role: String, inputs: [String: Tensor], outputs: [String]) async throws -> [String: Tensor] {
        guard let model = models[role] else { throw InferenceError.unknownModel(role) }
        let rows = inputs.values.first?.shape.first ?? 0
        if let limit = batchLimits.withLock({ $0[role] }), limit > 0, rows > limit,
            inputs.values.allSatisfy({ $0.shape.first == rows && $0.values.count == $0.elementCount })
        {
            return try await runInChunks(of: limit, rows: rows, role: role, inputs: inputs, outputs: outputs)
        }
        return try await infer(model, role: role, inputs: inputs, outputs: outputs)
    }

    private func infer(_ model: TritonModel, role: String, inputs: [String: Tensor], outputs: [String])
        async throws -> [String: Tensor]
    {
        let (body, headerLength) = KServeBinaryTensors.requestBody(inputs: inputs, outputs: outputs)
        let response = try await send(
            .POST,
            model.path + "/infer",
            body: body,
            headers: [(KServeBinaryTensors.headerLengthField, String(headerLength))]
        )
        switch response.status.code {
        case 200:
            let length = response.headers.first(name: KServeBinaryTensors.headerLengthField).flatMap { Int($0) }
            do {
                return try KServeBinaryTensors.outputs(from: response.body, headerLength: length)
            } catch {
                throw InferenceError.unexpectedOutput(model: role, reason: error.description)
            }
        case 400:
            throw InferenceError.refused(model: role, reason: Self.errorMessage(response.body))
        default:
            throw InferenceError.unavailable(
                "Triton answered \(response.status.code) for '\(model.name)': \(Self.errorMessage(response.body))"
            )
        }
    }

    /// Asks the server whether it is ready and whether each model is.
    ///
    /// - Returns: The server's version and URL, and the models by role.
    /// - Throws: `InferenceError.unavailable` naming the server or the first model that is not ready.
    public func checkReady() async throws -> String {
        let server = try await send(.GET, "/v2")
        guard server.status == .ok else {
            throw InferenceError.unavailable("Triton at \(baseURL) answered \(server.status.code)")
        }
        // A model that is not loaded has no metadata, and a server replaced under the service (a new repository)
        // must not pass for the one checked at start: both show in the same check as at start.
        try await verify(until: .now)
        let version = (try? JSONDecoder().decode(ServerMetadata.self, from: Data(server.body)).version) ?? "?"
        let served = models.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.name)" }.joined(separator: ", ")
        return "triton \(version) at \(baseURL): \(served)"
    }

    /// Checks every model's metadata against its manifest, waiting up to `startupWait` for the server to answer
    /// (it may still be loading models when the service starts beside it).
    ///
    /// - Throws: `TritonModelMismatch` naming the model and the tensor that differs; `InferenceError.unavailable`
    ///   when the server does not answer within `startupWait` or does not serve a model.
    public func prepare() async throws {
        try await prepare(startupWait: .seconds(60))
    }

    /// `prepare()` with a given wait for the server.
    ///
    /// - Throws: as `prepare()`.
    public func prepare(startupWait: Duration) async throws {
        try await verify(until: ContinuousClock.now + startupWait)
    }

    /// Checks each model's metadata and weights against its manifest and records its batch limit; retries an
    /// unreachable server until `deadline`.
    private func verify(until deadline: ContinuousClock.Instant) async throws {
        // The models side by side: readiness has a deadline of its own.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (role, model) in models {
                group.addTask { try await self.verify(model, role: role, until: deadline) }
            }
            try await group.waitForAll()
        }
    }

    private func verify(_ model: TritonModel, role: String, until deadline: ContinuousClock.Instant) async throws {
        let metadata = try await metadata(of: model, role: role, until: deadline)
        if let reason = model.mismatch(with: metadata) {
            throw TritonModelMismatch(model: model.name, reason: reason)
        }
        let configuration = try await configuration(of: model)
        if let expected = model.sha256, let served = configuration.sha256, expected != served {
            throw TritonModelMismatch(
                model: model.name,
                reason: "Triton serves weights with sha256 \(served), the manifest's are \(expected)"
            )
        }
        batchLimits.withLock { $0[role] = configuration.maxBatchSize }
    }

    private func configuration(of model: TritonModel) async throws -> TritonModelConfiguration {
        let answer = try await send(.GET, model.path + "/config")
        guard answer.status == .ok else {
            throw InferenceError.unavailable("Triton did not give the configuration of '\(model.name)'")
        }
        return try decode(
            TritonModelConfiguration.self,
            from: answer.body,
            what: "configuration of '\(model.name)'"
        )
    }

    private func metadata(of model: TritonModel, role: String, until deadline: ContinuousClock.Instant)
        async throws -> TritonModelMetadata
    {
        while true {
            do {
                let answer = try await send(.GET, model.path)
                guard answer.status == .ok else {
                    throw InferenceError.unavailable(
                        "Triton at \(baseURL) does not serve '\(model.name)' for \(role) (\(answer.status.code): "
                            + "\(Self.errorMessage(answer.body)))"
                    )
                }
                return try decode(TritonModelMetadata.self, from: answer.body, what: "metadata of '\(model.name)'")
            } catch InferenceError.unavailable where ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

}
