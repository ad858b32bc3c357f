import Synchronization
import Testing

@testable import FaceStore

/// The gallery size is read once per `maximumAge` and model and again after a change; once reading it is slow, a
/// request gets the last value and one read in the background replaces it.
@Suite struct GallerySizeCacheTests {
    struct ReadFailed: Error {}

    final class Reads: Sendable {
        let count = Mutex(0)
        func read(_ size: Int) -> Int {
            count.withLock { $0 += 1 }
            return size
        }
        func slowRead(_ size: Int) async throws -> Int {
            try await Task.sleep(for: .milliseconds(50))
            return read(size)
        }
        var total: Int { count.withLock { $0 } }
    }

    /// What `cache` answers for `model` once a background read by `read` has landed: asked (with `read`, so that
    /// any read started meanwhile gives the same) until it differs from `stale`, for 10 s at most.
    func settled(
        _ cache: GallerySizeCache,
        _ model: String,
        from stale: Int,
        read: @escaping @Sendable () async throws -> Int
    ) async throws -> Int {
        for _ in 0..<1000 {
            let size = try await cache.size(of: model, read: read)
            if size != stale { return size }
            try await Task.sleep(for: .milliseconds(10))
        }
        return stale
    }

    @Test func aSizeIsReadOncePerModelUntilItAgesOrTheGalleryChanges() async throws {
        let cache = GallerySizeCache(maximumAge: .milliseconds(200), inlineReadLimit: .seconds(60))
        let reads = Reads()
        #expect(try await cache.size(of: "a") { reads.read(3) } == 3)
        #expect(try await cache.size(of: "a") { reads.read(4) } == 3)
        #expect(try await cache.size(of: "b") { reads.read(7) } == 7)
        #expect(reads.total == 2)

        cache.invalidate()
        #expect(try await cache.size(of: "a") { reads.read(5) } == 5)
        #expect(reads.total == 3)

        try await Task.sleep(for: .milliseconds(250))
        #expect(try await cache.size(of: "a") { reads.read(6) } == 6)
        #expect(reads.total == 4)
    }

    @Test func onceReadingIsSlowTheLastSizeIsAnsweredAndOneBackgroundReadReplacesIt() async throws {
        let cache = GallerySizeCache(maximumAge: .seconds(60), inlineReadLimit: .milliseconds(10))
        let reads = Reads()
        // The first read is always awaited: there is nothing to answer yet.
        #expect(try await cache.size(of: "a") { try await reads.slowRead(1) } == 1)

        cache.invalidate()
        for _ in 0..<5 {
            #expect(try await cache.size(of: "a") { try await reads.slowRead(2) } == 1)
        }
        #expect(try await settled(cache, "a", from: 1) { try await reads.slowRead(2) } == 2)
        #expect(reads.total == 2, "one background read for five requests")
    }

    @Test func aFailedBackgroundReadKeepsTheLastSizeAndTheNextRequestTriesAgain() async throws {
        let cache = GallerySizeCache(maximumAge: .seconds(60), inlineReadLimit: .milliseconds(10))
        let reads = Reads()
        #expect(try await cache.size(of: "a") { try await reads.slowRead(1) } == 1)

        cache.invalidate()
        #expect(
            try await cache.size(of: "a") { () async throws -> Int in
                try await Task.sleep(for: .milliseconds(50))
                throw ReadFailed()
            } == 1
        )
        #expect(try await cache.size(of: "a") { try await reads.slowRead(3) } == 1)
        #expect(try await settled(cache, "a", from: 1) { try await reads.slowRead(3) } == 3)
    }

    @Test func aFirstReadThatFailsIsThrown() async throws {
        let cache = GallerySizeCache()
        await #expect(throws: ReadFailed.self) {
            try await cache.size(of: "a") { () async throws -> Int in throw ReadFailed() }
        }
    }

    @Test func aReadThatStartedBeforeAChangeIsNotTakenAsFresh() async throws {
        let cache = GallerySizeCache(maximumAge: .seconds(60), inlineReadLimit: .seconds(60))
        let reads = Reads()
        // An enrolment lands while the count runs: the count may or may not include it.
        #expect(
            try await cache.size(of: "a") {
                cache.invalidate()
                return reads.read(1)
            } == 1
        )
        #expect(try await cache.size(of: "a") { reads.read(2) } == 2)
        #expect(try await cache.size(of: "a") { reads.read(3) } == 2)
    }
}
