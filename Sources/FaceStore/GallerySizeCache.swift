import Synchronization

/// The number of users with a face of each model, read from the database at most every `maximumAge`, and never on a
/// request's path once reading it has become slow.
///
/// Counting the users behind a model's faces (`count(DISTINCT user_id)`) reads the whole gallery: 9 ms at 10,000
/// faces, 57 ms at 100,000 and 0.9 s at 1,000,000 (bench/results/gallery-scaling-*), longer than the HNSW search
/// itself. The size only moves the 1:N threshold with the logarithm of the gallery, so a value a few seconds old
/// decides alike. A size that is too old, or that this process's own enrolment or erasure has made stale, is read
/// again before the answer while that read takes less than `inlineReadLimit` (small galleries, where one user more
/// or less moves the threshold most); beyond that the last value is answered and one read in the background
/// replaces it. Another instance's changes are seen within `maximumAge`.
final class GallerySizeCache: Sendable {
    private struct Entry {
        var size: Int
        var readAt: ContinuousClock.Instant
        /// How long the read that gave `size` took: whether the next one may hold up a request.
        var readTook: Duration
        /// The value predates a change this process made.
        var stale = false
        /// A background read is under way; no other is started.
        var refreshing = false
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Bumped by every `invalidate`, so that a read which started before a change never counts as fresh.
        var generation = 0
    }

    private enum Plan {
        case answer(Int)
        case readNow
        case answerAndRefresh(Int)
    }

    let maximumAge: Duration
    let inlineReadLimit: Duration
    private let state = Mutex(State())

    init(maximumAge: Duration = .seconds(5), inlineReadLimit: Duration = .milliseconds(20)) {
        self.maximumAge = maximumAge
        self.inlineReadLimit = inlineReadLimit
    }

    /// `model`'s gallery size: the cached value while it is fresh; otherwise what `read` returns, awaited when there is
    /// no value yet or the last read was quicker than `inlineReadLimit`, else run in the background while the last
    /// value is returned.
    ///
    /// - Throws: what `read` throws, when it is awaited. A failed background read leaves the last value in place and
    ///   the next call tries again.
    func size(of model: String, read: @escaping @Sendable () async throws -> Int) async throws -> Int {
        let now = ContinuousClock.now
        let plan = state.withLock { state -> Plan in
            guard var entry = state.entries[model] else { return .readNow }
            if !entry.stale, now - entry.readAt < maximumAge { return .answer(entry.size) }
            if entry.readTook < inlineReadLimit { return .readNow }
            if entry.refreshing { return .answer(entry.size) }
            entry.refreshing = true
            state.entries[model] = entry
            return .answerAndRefresh(entry.size)
        }
        switch plan {
        case .answer(let size):
            return size
        case .readNow:
            return try await refresh(model, read: read)
        case .answerAndRefresh(let size):
            Task { _ = try? await self.refresh(model, read: read) }
            return size
        }
    }

    private func refresh(_ model: String, read: @Sendable () async throws -> Int) async throws -> Int {
        let generation = state.withLock { $0.generation }
        let started = ContinuousClock.now
        let size: Int
        do {
            size = try await read()
        } catch {
            state.withLock { $0.entries[model]?.refreshing = false }
            throw error
        }
        let took = ContinuousClock.now - started
        state.withLock { state in
            state.entries[model] = Entry(
                size: size,
                readAt: started,
                readTook: took,
                stale: state.generation != generation
            )
        }
        return size
    }

    /// Marks every cached size stale: the gallery has just changed.
    func invalidate() {
        state.withLock { state in
            state.generation += 1
            for model in state.entries.keys { state.entries[model]?.stale = true }
        }
    }
}
