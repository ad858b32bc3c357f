public import Hummingbird

/// `GET /health/live` answers while the process runs; `GET /health/ready` only when every dependency answers.
public struct HealthRoutes: Sendable {
    let checks: [ReadinessCheck]

    /// - Parameter checks: what `/health/ready` probes, all at once, each within 2 s.
    public init(checks: [ReadinessCheck]) {
        self.checks = checks
    }

    /// Adds `GET /health/live` (200 while the process runs) and `GET /health/ready` (200 with the report when every
    /// check passes, else 503) to `router`.
    public func register(on router: Router<AppRequestContext>) {
        router.get("/health/live") { _, context in
            try jsonResponse(["status": "alive", "requestId": context.requestID])
        }
        router.get("/health/ready") { _, _ in
            let report = await evaluateReadiness(checks)
            return try jsonResponse(report, status: report.isReady ? .ok : .serviceUnavailable)
        }
    }
}
