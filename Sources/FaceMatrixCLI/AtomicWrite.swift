import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension Data {
    /// Writes the file whole or not at all: into a hidden file beside it, then renamed over it (rename(2) is atomic
    /// within a folder). Foundation's `.atomic` option does the same on Linux through a `/tmp/TemporaryDirectory.*`
    /// folder that it never removes, one per write.
    ///
    /// - Throws: Foundation's error when the folder cannot be written, or `CocoaError(.fileWriteUnknown)` when the
    ///   rename fails; the hidden file is removed then.
    func writeAtomically(to url: URL) throws {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        try write(to: temporary)
        guard rename(temporary.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }
}
