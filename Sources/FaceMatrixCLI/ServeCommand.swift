import ArgumentParser
import FaceInference
import FaceInferenceOpenVINO
import FaceInferenceTriton
import FaceMatrixServer
import FacePipeline
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP service (configuration from environment variables; see the README)."
    )

    @Option(help: "Address to listen on (overrides HOST).")
    var host: String?

    @Option(help: "Port to listen on (overrides PORT).")
    var port: Int?

    func run() async throws {
        var configuration = try await refusingInOneLine {
            try AppConfiguration(environment: ProcessInfo.processInfo.environment)
        }
        if let host { configuration.host = host }
        if let port { configuration.port = port }

        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "facematrix")
        // A missing or damaged model file: one line that names it, before listening or connecting.
        try await refusingInOneLine {
            let app = try await buildApplication(configuration: configuration, metrics: registry, logger: logger)
            try await app.runService()
        }
    }
}

/// An error that says all there is to say in one line: a bad setting, a missing or damaged model, a folder or a
/// journal that cannot be used.
protocol OneLineRefusal: Error, CustomStringConvertible {}

extension AppConfiguration.InvalidValue: OneLineRefusal {}
extension ModelLoadingError: OneLineRefusal {}
extension InferenceError: OneLineRefusal {}
extension TritonModelMismatch: OneLineRefusal {}
extension OpenVINOError: OneLineRefusal {}

/// Runs `body`; a `OneLineRefusal` is printed as that line and ends the command with status 1.
func refusingInOneLine<Value>(_ body: () async throws -> Value) async throws -> Value {
    do {
        return try await body()
    } catch let refusal as any OneLineRefusal {
        printError(refusal.description)
        throw ExitCode.failure
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("facematrix: \(message)\n".utf8))
}
