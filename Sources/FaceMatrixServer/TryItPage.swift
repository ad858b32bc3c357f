public import Foundation

/// The try-it page: static HTML, CSS and JavaScript (`Web/`) that SwiftPM copies into the target's resource bundle
/// beside the executable.
public enum TryItPage {
    /// SwiftPM's name for the bundle of this package's `FaceMatrixServer` target.
    static let bundleName = "FaceMatrix_FaceMatrixServer.resources"

    /// The folder to serve: `FACEMATRIX_WEB_DIR` when set, else the bundle beside the running executable (or test
    /// runner); nil when neither holds an `index.html`, in which case the service runs without the page.
    ///
    /// The bundle is located by hand rather than through `Bundle.module`, whose accessor stops the process when
    /// the bundle was not copied along with a deployed binary.
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let candidate: URL
        if let configured = environment["FACEMATRIX_WEB_DIR"], !configured.isEmpty {
            candidate = URL(fileURLWithPath: configured)
        } else if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            candidate = executable.deletingLastPathComponent().appendingPathComponent(bundleName)
                .appendingPathComponent("Web")
        } else {
            return nil
        }
        let index = candidate.appendingPathComponent("index.html").path
        return FileManager.default.isReadableFile(atPath: index) ? candidate.path : nil
    }
}
