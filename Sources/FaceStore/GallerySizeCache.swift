import Synchronization

/// The number of users with a face of each model, read from the database at most every `maximumAge`.
///
/// Counting the users behind a model's faces (`count(DISTINCT user_id)`) reads the whole gallery: 9 ms at 10,000
/// faces and 57 ms at 100,000 (bench/results/gallery-scaling-*), longer than the HNSW search itself. The size only
/// moves the 1:N threshold with the logarithm of the gallery, so a value a few seconds old decides alike. This
/// process's own enrolments and erasures drop the cached values at once; another instance's are seen within
/// `maximumAge`.
final class GallerySizeCache: Sendable {
    private struct Entry {
        let size: Int
        let readAt: ContinuousClock.Instant
    }

    let maximumAge: Duration
    private let entries = Mutex<[String: Entry]>([:])

    init(maximumAge: Duration = .seconds(5)) {
        self.maximumAge = maximumAge
    }

    /// The cached size of `model`'s gallery, or what `read` returns when there is none or it is older than
    /// `maximumAge`.
    func size(of model: String, read: () async throws -> Int) async rethrows -> Int {
        let now = ContinuousClock.now
        if let entry = entries.withLock({ $0[model] }), now - entry.readAt < maximumAge { return entry.size }
        let size = try await read()
        entries.withLock { $0[model] = Entry(size: size, readAt: now) }
        return size
    }

    /// Forgets every cached size: the gallery has just changed.
    func invalidate() {
        entries.withLock { $0.removeAll() }
    }
}
