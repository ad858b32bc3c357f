public import FaceMatrixConfiguration
public import FaceMatrixCore
import FaceStore
import Foundation
public import Logging

/// Everything the service reads from its environment, validated once at start.
public struct AppConfiguration: Sendable {
    /// `HOST`: the address the API listens on; `0.0.0.0` (every interface) by default.
    public var host: String
    /// `PORT`: the API's TCP port, 1…65535; 8080 by default.
    public var port: Int
    /// `DATABASE_URL` (required): `postgres://user:password@host:port/database`, optionally `?sslmode=require`.
    public var databaseURL: String
    /// `LOG_LEVEL`: swift-log's level name, `trace` to `critical`; `info` by default.
    public var logLevel: Logger.Level
    /// How the face pipeline is built: models, image limits, detector tuning, inference threads.
    public var pipeline: PipelineSettings
    /// How recognition decides and enrols: target FAR or fixed threshold, enrolment minimums, admission queue.
    public var recognition: RecognitionSettings
    /// `FACEMATRIX_METRICS_PORT`: serve `/metrics` on this port (same host) instead of the API's.
    public var metricsPort: Int?
    /// `FACEMATRIX_API_KEYS`: keys chosen by the operator, with their roles (stored keys come from the database).
    public var apiKeys: [(role: APIRole, secret: String)] = []
    /// `FACEMATRIX_DATABASE_TIMEOUT_MS` (100…600,000): a database operation longer than this counts as the database
    /// being unavailable (503/610, and the circuit breaker opens); 5 s by default.
    public var databaseTimeout: Duration = .seconds(5)
    /// `FACEMATRIX_HNSW_EF_SEARCH` (32…1,000): pgvector's `hnsw.ef_search` for every gallery search. 200 finds the
    /// enrolled person first for 99.8 % of probes among 100,000 faces; a gallery near 1,000,000 needs 400–800 for
    /// 93–97 %, at two to four times the search time (bench/results/gallery-scaling-*).
    public var efSearch = PostgresFaceRepository.defaultEfSearch

    /// A variable that is set but unusable (the message names it).
    public typealias InvalidValue = ConfigurationError

    /// A configuration given in code (tests, tools); no API keys and no separate metrics port.
    public init(
        host: String = "0.0.0.0",
        port: Int = 8080,
        databaseURL: String,
        logLevel: Logger.Level = .info,
        pipeline: PipelineSettings = PipelineSettings(),
        recognition: RecognitionSettings = RecognitionSettings()
    ) {
        self.host = host
        self.port = port
        self.databaseURL = databaseURL
        self.logLevel = logLevel
        self.pipeline = pipeline
        self.recognition = recognition
    }

    /// Reads the configuration from environment variables (see the README's table).
    ///
    /// - Throws: `InvalidValue` naming the first variable that is unusable: `DATABASE_URL` unset, a number out of its
    ///   range, malformed `FACEMATRIX_API_KEYS`, or `FACEMATRIX_METRICS_PORT` equal to `PORT`.
    public init(environment: [String: String]) throws(InvalidValue) {
        let reader = EnvironmentReader(environment: environment)
        self.init(
            host: try reader.string("HOST", default: "0.0.0.0"),
            port: try reader.integer("PORT", default: 8080, in: 1...65535),
            databaseURL: try reader.required(
                "DATABASE_URL",
                hint: "set it to postgres://user:password@host:port/database (`make run` sets it)"
            ),
            logLevel: try reader.logLevel("LOG_LEVEL", default: .info),
            pipeline: try PipelineSettings(environment: environment),
            recognition: try RecognitionSettings(environment: environment)
        )
        apiKeys = try reader.apiKeys("FACEMATRIX_API_KEYS")
        databaseTimeout = .milliseconds(
            try reader.integer("FACEMATRIX_DATABASE_TIMEOUT_MS", default: 5_000, in: 100...600_000)
        )
        efSearch = try reader.integer(
            "FACEMATRIX_HNSW_EF_SEARCH",
            default: PostgresFaceRepository.defaultEfSearch,
            in: 32...1000
        )
        if environment["FACEMATRIX_METRICS_PORT"].map({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }) == true {
            let metricsPort = try reader.integer("FACEMATRIX_METRICS_PORT", default: 0, in: 1...65535)
            guard metricsPort != port else {
                throw .init(variable: "FACEMATRIX_METRICS_PORT", reason: "must differ from PORT (\(port))")
            }
            self.metricsPort = metricsPort
        }
    }
}

extension EnvironmentReader {
    /// `role:secret,role:secret`; a secret of at least 16 characters, with no comma or whitespace.
    func apiKeys(_ name: String) throws(AppConfiguration.InvalidValue) -> [(role: APIRole, secret: String)] {
        guard let raw = value(name) else { return [] }
        var keys: [(role: APIRole, secret: String)] = []
        for entry in raw.split(separator: ",") {
            let pair = entry.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, let role = APIRole(rawValue: pair[0]) else {
                throw .init(
                    variable: name,
                    reason: "must be role:secret pairs separated by commas, role recognise or admin"
                )
            }
            guard pair[1].count >= 16, !pair[1].contains(where: \.isWhitespace) else {
                throw .init(variable: name, reason: "has a secret shorter than 16 characters (or with spaces)")
            }
            // One secret for two roles would quietly act as the stronger one.
            guard !keys.contains(where: { $0.secret == pair[1] }) else {
                throw .init(variable: name, reason: "gives one secret more than once; each key needs its own")
            }
            keys.append((role, pair[1]))
        }
        return keys
    }
}
