import COpenVINO

/// An OpenVINO `ov_core_t`: the entry point that reads and compiles models for the CPU plugin.
public final class OpenVINORuntime: @unchecked Sendable {
    // ov::Core's methods are thread-safe; the pointer itself is never mutated.
    let pointer: OpaquePointer

    /// Creates a core (`ov_core_create`). Plugins are found beside `libopenvino`, which the set-up script installs
    /// into a folder of its own.
    ///
    /// - Throws: `OpenVINOError.runtime` when OpenVINO cannot start.
    public init() throws(OpenVINOError) {
        var core: OpaquePointer?
        try check(ov_core_create(&core), "ov_core_create")
        guard let core else { throw .runtime(call: "ov_core_create", status: -1, message: "no core returned") }
        pointer = core
    }

    deinit { ov_core_free(pointer) }

    /// The loaded library's version, e.g. "2026.4.1" (the build number up to its first '-').
    public static let version: String = {
        var version = ov_version_t()
        guard ov_get_openvino_version(&version) == OK, let build = version.buildNumber else { return "unknown" }
        defer { ov_version_free(&version) }
        return String(String(cString: build).prefix { $0 != "-" })
    }()
}
