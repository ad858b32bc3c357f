import FaceMatrixHTTP
import Foundation
public import HTTPTypes
public import Hummingbird

/// Gives every request an id: the caller's `X-Request-ID` when it is reasonable, a fresh UUID otherwise.
/// The id goes into the logger's metadata and back to the caller in the response header.
public struct RequestIDMiddleware: RouterMiddleware {
    /// The context the id is stored in, as `requestID`.
    public typealias Context = AppRequestContext

    /// The middleware; it keeps no state.
    public init() {}

    /// Sets `context.requestID` and the logger's `request_id`, runs the rest of the chain, and returns the id in the
    /// response's `X-Request-ID`. It runs outside `ErrorMiddleware`, so error responses carry the id too.
    ///
    /// - Throws: whatever the rest of the chain throws, unchanged (then without the header).
    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let id = request.headers[.requestID].flatMap(Self.acceptable) ?? RequestID.fresh()
        context.requestID = id
        context.logger[metadataKey: "request_id"] = "\(id)"
        var response = try await next(request, context)
        response.headers[.requestID] = id
        return response
    }

    static func acceptable(_ candidate: String) -> String? {
        RequestID.acceptable(candidate)
    }
}

extension HTTPField.Name {
    /// `X-Request-ID`: the request's correlation id, taken from the caller when acceptable and echoed on every
    /// response.
    public static let requestID = Self("X-Request-ID")!
}
