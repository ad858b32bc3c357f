import FaceMatrixHTTP
import Foundation
public import HTTPTypes
public import Hummingbird

/// Gives every request an id: the caller's `X-Request-ID` when it is reasonable, a fresh UUID otherwise.
/// The id goes into the logger's metadata and back to the caller in the response header.
public struct RequestIDMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let id = request.headers[.requestID].flatMap(Self.acceptable) ?? UUID().uuidString.lowercased()
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
    public static let requestID = Self("X-Request-ID")!
}
