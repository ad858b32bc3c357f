import Synchronization
import Testing

@testable import FaceStore

/// The gallery size is read once per `maximumAge` and model, and again at once after a change.
@Suite struct GallerySizeCacheTests {
    final class Reads: Sendable {
        let count = Mutex(0)
        func read(_ size: Int) -> Int {
            count.withLock { $0 += 1 }
            return size
        }
    }

    @Test func aSizeIsReadOncePerModelUntilItAgesOrTheGalleryChanges() async throws {
        let cache = GallerySizeCache(maximumAge: .milliseconds(200))
        let reads = Reads()
        #expect(await cache.size(of: "a") { reads.read(3) } == 3)
        #expect(await cache.size(of: "a") { reads.read(4) } == 3)
        #expect(await cache.size(of: "b") { reads.read(7) } == 7)
        #expect(reads.count.withLock { $0 } == 2)

        cache.invalidate()
        #expect(await cache.size(of: "a") { reads.read(5) } == 5)
        #expect(reads.count.withLock { $0 } == 3)

        try await Task.sleep(for: .milliseconds(250))
        #expect(await cache.size(of: "a") { reads.read(6) } == 6)
        #expect(reads.count.withLock { $0 } == 4)
    }
}
