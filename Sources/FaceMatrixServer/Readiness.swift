import FaceMatrixCore
import Foundation

/// One thing the service needs before it can serve: a name and a probe that returns a version or detail string
/// when the dependency is usable, and throws when it is not.
public struct ReadinessCheck: Sendable {
    /// The component's key in the report, e.g. `database`, `pgvector`, `models`.
    public let name: String
    /// Returns a version or detail when the dependency is usable; throws when it is not.
    public let probe: @Sendable () async throws -> String

    /// Describes one check.
    public init(name: String, probe: @escaping @Sendable () async throws -> String) {
        self.name = name
        self.probe = probe
    }
}

/// What `GET /health/ready` reports.
public struct ReadinessReport: Codable, Sendable, Equatable {
    /// One check's outcome.
    public struct Component: Codable, Sendable, Equatable {
        /// Whether the probe answered in time without an error.
        public var ready: Bool
        /// What the probe returned; nil when not ready.
        public var version: String?
        /// The failure's first line, at most 200 characters; nil when ready.
        public var error: String?
    }

    /// `ready` or `not_ready`.
    public var status: String
    /// Every check's outcome, by name.
    public var components: [String: Component]
    /// The names of the components that are not ready, so a caller need not scan the map.
    public var notReady: [String]

    enum CodingKeys: String, CodingKey {
        case status, components
        case notReady = "not_ready"
    }

    /// Whether every check passed: the route then answers 200, else 503.
    public var isReady: Bool { notReady.isEmpty }
}

/// Runs every check concurrently, each bounded by `timeout`, so that a dead database yields a quick 503
/// instead of a hanging health check.
///
/// - Parameter timeout: how long each probe may take before its component counts as not ready.
public func evaluateReadiness(_ checks: [ReadinessCheck], timeout: Duration = .seconds(2)) async -> ReadinessReport {
    let results = await withTaskGroup(of: (String, ReadinessReport.Component).self) { group in
        for check in checks {
            group.addTask {
                do {
                    let version = try await withDeadline(timeout) { try await check.probe() }
                    return (check.name, .init(ready: true, version: version, error: nil))
                } catch {
                    return (check.name, .init(ready: false, version: nil, error: describe(error)))
                }
            }
        }
        var results: [String: ReadinessReport.Component] = [:]
        for await (name, component) in group { results[name] = component }
        return results
    }
    let notReady = results.filter { !$0.value.ready }.map(\.key).sorted()
    return ReadinessReport(status: notReady.isEmpty ? "ready" : "not_ready", components: results, notReady: notReady)
}

/// A short, single-line description of a dependency failure for the readiness report.
private func describe(_ error: any Error) -> String {
    let text = String(describing: error)
    let firstLine = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? text
    return String(firstLine.prefix(200))
}
