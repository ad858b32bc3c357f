import ArgumentParser
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
        var configuration: AppConfiguration
        do {
            configuration = try AppConfiguration(environment: ProcessInfo.processInfo.environment)
        } catch {
            printError(error.description)
            throw ExitCode.failure
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
        do {
            let app = try await buildApplication(configuration: configuration, metrics: registry, logger: logger)
            try await app.runService()
        } catch let error as ModelLoadingError {
            // A missing or damaged model file: one line that names it, before listening or connecting.
            printError(error.description)
            throw ExitCode.failure
        } catch let error as AppConfiguration.InvalidValue {
            printError(error.description)
            throw ExitCode.failure
        }
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("facematrix: \(message)\n".utf8))
}
