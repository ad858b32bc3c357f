public import Hummingbird

/// `GET /health/live` answers while the process runs; `GET /health/ready` only when every dependency answers.
public struct HealthRoutes: Sendable {
    let checks: [ReadinessCheck]

    public init(checks: [ReadinessCheck]) {
        self.checks = checks
    }

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
