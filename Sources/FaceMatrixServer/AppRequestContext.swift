public import Hummingbird

/// The per-request context: Hummingbird's core storage plus the request id every response echoes.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `RequestIDMiddleware` before any route runs.
    public var requestID: String

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.requestID = ""
    }
}
