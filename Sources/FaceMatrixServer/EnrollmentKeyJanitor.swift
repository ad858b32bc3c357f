import FaceMatrixCore
import FaceStore
import Logging
import Metrics
import ServiceLifecycle

/// Deletes expired enrollment keys (and with them the embeddings of people who never enrolled) and keeps the
/// store's gauges current. Expired keys are ignored on read even before this runs.
struct EnrollmentKeyJanitor: Service {
    let store: any FaceRepository
    let model: ModelIdentity
    let interval: Duration
    let logger: Logger

    func run() async throws {
        let faces = Gauge(label: "facematrix_faces_enrolled")
        let users = Gauge(label: "facematrix_users_enrolled")
        let keys = Gauge(label: "facematrix_enrollment_keys_pending")
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // Waiting first leaves the start-up migrations time to create the tables.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            guard !Task.isCancelled && !Task.isShuttingDownGracefully else { return }
            do {
                let deleted = try await store.deleteExpiredEnrollmentKeys()
                if deleted > 0 { logger.info("deleted expired enrollment keys", metadata: ["count": "\(deleted)"]) }
                let statistics = try await store.statistics(model: model)
                faces.record(statistics.faces)
                users.record(statistics.users)
                keys.record(statistics.pendingEnrollmentKeys)
            } catch {
                logger.warning("enrollment key clean-up failed; will retry", metadata: ["error": "\(error)"])
            }
        }
    }
}
