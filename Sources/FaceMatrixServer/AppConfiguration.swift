public import FaceMatrixCore
import Foundation
public import Logging

/// Everything the service reads from its environment, validated once at start.
public struct AppConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var databaseURL: String
    public var logLevel: Logger.Level
    public var pipeline: PipelineSettings
    public var recognition: RecognitionSettings
    /// `FACEMATRIX_METRICS_PORT`: serve `/metrics` on this port (same host) instead of the API's.
    public var metricsPort: Int?
    /// `FACEMATRIX_API_KEYS`: keys chosen by the operator, with their roles (stored keys come from the database).
    public var apiKeys: [(role: APIRole, secret: String)] = []

    /// A variable that is set but unusable. The message names the variable, so the process can stop with one line.
    public struct InvalidValue: Error, Equatable, CustomStringConvertible {
        public let variable: String
        public let reason: String

        public init(variable: String, reason: String) {
            self.variable = variable
            self.reason = reason
        }

        public var description: String { "invalid configuration: \(variable) \(reason)" }
    }

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
    public init(environment: [String: String]) throws(InvalidValue) {
        let reader = EnvironmentReader(environment: environment)
        self.init(
            host: try reader.string("HOST", default: "0.0.0.0"),
            port: try reader.integer("PORT", default: 8080, in: 1...65535),
            databaseURL: try reader.required(
                "DATABASE_URL", hint: "set it to postgres://user:password@host:port/database (`make run` sets it)"),
            logLevel: try reader.logLevel("LOG_LEVEL", default: .info),
            pipeline: try PipelineSettings(environment: environment),
            recognition: try RecognitionSettings(environment: environment)
        )
        apiKeys = try reader.apiKeys("FACEMATRIX_API_KEYS")
        if environment["FACEMATRIX_METRICS_PORT"].map({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }) == true {
            let metricsPort = try reader.integer("FACEMATRIX_METRICS_PORT", default: 0, in: 1...65535)
            guard metricsPort != port else {
                throw .init(variable: "FACEMATRIX_METRICS_PORT", reason: "must differ from PORT (\(port))")
            }
            self.metricsPort = metricsPort
        }
    }
}

/// Typed access to environment variables that turns every bad value into an error naming the variable.
struct EnvironmentReader {
    let environment: [String: String]

    /// `role:secret,role:secret`; a secret of at least 16 characters, with no comma or whitespace.
    func apiKeys(_ name: String) throws(AppConfiguration.InvalidValue) -> [(role: APIRole, secret: String)] {
        guard let raw = value(name) else { return [] }
        var keys: [(role: APIRole, secret: String)] = []
        for entry in raw.split(separator: ",") {
            let pair = entry.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, let role = APIRole(rawValue: pair[0]) else {
                throw .init(
                    variable: name, reason: "must be role:secret pairs separated by commas, role recognise or admin")
            }
            guard pair[1].count >= 16, !pair[1].contains(where: \.isWhitespace) else {
                throw .init(variable: name, reason: "has a secret shorter than 16 characters (or with spaces)")
            }
            keys.append((role, pair[1]))
        }
        return keys
    }

    private func value(_ name: String) -> String? {
        guard let raw = environment[name] else { return nil }
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }

    func string(_ name: String, default defaultValue: String) throws(AppConfiguration.InvalidValue) -> String {
        value(name) ?? defaultValue
    }

    func required(_ name: String, hint: String) throws(AppConfiguration.InvalidValue) -> String {
        guard let value = value(name) else { throw .init(variable: name, reason: "is not set; \(hint)") }
        return value
    }

    func integer(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(AppConfiguration
        .InvalidValue)
        -> Int
    {
        guard let raw = value(name) else { return defaultValue }
        guard let number = Int(raw), range.contains(number) else {
            throw .init(
                variable: name, reason: "must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(raw)'")
        }
        return number
    }

    func double(_ name: String, default defaultValue: Double, in range: ClosedRange<Double>) throws(AppConfiguration
        .InvalidValue) -> Double
    {
        guard let raw = value(name) else { return defaultValue }
        guard let number = Double(raw), number.isFinite, range.contains(number) else {
            throw .init(
                variable: name, reason: "must be a number in \(range.lowerBound)...\(range.upperBound), got '\(raw)'")
        }
        return number
    }

    func doubles(_ name: String, default defaultValue: [Double], count: Int, in range: ClosedRange<Double>)
        throws(AppConfiguration.InvalidValue) -> [Double]
    {
        guard let raw = value(name) else { return defaultValue }
        let numbers = raw.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard numbers.count == count, numbers.allSatisfy({ $0.isFinite && range.contains($0) }) else {
            throw .init(
                variable: name,
                reason:
                    "must be \(count) comma-separated numbers in \(range.lowerBound)...\(range.upperBound), got '\(raw)'"
            )
        }
        return numbers
    }

    func logLevel(_ name: String, default defaultValue: Logger.Level) throws(AppConfiguration.InvalidValue)
        -> Logger.Level
    {
        guard let raw = value(name) else { return defaultValue }
        guard let level = Logger.Level(rawValue: raw.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw .init(variable: name, reason: "must be one of \(names), got '\(raw)'")
        }
        return level
    }
}
