public import Hummingbird

/// The per-request context: Hummingbird's core storage plus the request id every response echoes.
public struct AppRequestContext: RequestContext {
    /// Hummingbird's own per-request state: logger, route parameters, allocator.
    public var coreContext: CoreRequestContextStorage
    /// Set by `RequestIDMiddleware` before any route runs.
    public var requestID: String

    /// A context for a request from `source`; `requestID` stays empty until `RequestIDMiddleware` sets it.
    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.requestID = ""
    }
}
