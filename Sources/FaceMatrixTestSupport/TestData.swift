public import Foundation

/// Locates the shared, read-only face photos.
///
/// The photos live in `shared/testdata/faces` beside the repository, so the lookup walks up from this source file
/// until it finds that folder. This works both in the standalone package and once these tests live under the main
/// repository's `Tests/` folder. `FACEMATRIX_TESTDATA` (the `faces` folder itself) overrides the search.
public enum TestData {
    /// The test photos could not be found or listed.
    public struct MissingData: Error, CustomStringConvertible {
        /// What was looked for, and how to point the tests at it.
        public var description: String
    }

    /// The `faces` folder: `FACEMATRIX_TESTDATA` when set, else the first `shared/testdata/faces` above `filePath`.
    ///
    /// - Throws: `MissingData` when no such folder exists above `filePath`.
    public static func facesDirectory(filePath: String = #filePath) throws -> URL {
        let fileManager = FileManager.default
        if let override = ProcessInfo.processInfo.environment["FACEMATRIX_TESTDATA"], !override.isEmpty {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        var directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("shared/testdata/faces", isDirectory: true)
            var isDirectory: ObjCBool = false
            if fileManager.fileExists(atPath: candidate.path, isDirectory: &isDirectory), isDirectory.boolValue {
                return candidate
            }
            directory = directory.deletingLastPathComponent()
        }
        throw MissingData(
            description:
                "shared/testdata/faces not found above \(filePath); set FACEMATRIX_TESTDATA to the faces folder"
        )
    }

    /// The bytes of a photo, by path relative to the `faces` folder.
    ///
    /// - Throws: `MissingData` when the folder is not found; Foundation's error when the file cannot be read.
    public static func bytes(_ relativePath: String) throws -> [UInt8] {
        let url = try facesDirectory().appendingPathComponent(relativePath)
        return try [UInt8](Data(contentsOf: url))
    }

    /// Every JPEG and PNG below the `faces` folder, as paths relative to it, sorted for stable output.
    ///
    /// - Throws: `MissingData` when the folder is not found or cannot be listed.
    public static func allImagePaths() throws -> [String] {
        let root = try facesDirectory()
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else {
            throw MissingData(description: "cannot list \(root.path)")
        }
        let extensions: Set<String> = ["jpg", "jpeg", "png"]
        return enumerator.compactMap { $0 as? String }
            .filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted()
    }
}
