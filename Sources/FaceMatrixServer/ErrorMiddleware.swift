import FaceMatrixCore
import Foundation
import HTTPTypes
public import Hummingbird
import Synchronization

/// The JSON body of every error response.
struct ErrorBody: Encodable {
    let status = "error"
    let errorCode: Int
    let error: String
    let message: String
    let requestId: String

    enum CodingKeys: String, CodingKey {
        case status
        case errorCode = "error_code"
        case error, message, requestId
    }

    /// The body the contract gives `error`.
    init(_ error: FaceMatrixError, requestID: String) {
        errorCode = error.code
        self.error = error.slug
        message = error.message
        requestId = requestID
    }
}

/// Turns every error a route throws into the documented JSON error response, so that no caller ever sees a
/// stack trace, an empty body or a framework's own error format.
///
/// Status codes and headers follow RFC 9110: `Retry-After` on 503, `Allow` on 405, and on 401 a
/// `WWW-Authenticate: Bearer` challenge (RFC 6750).
public struct ErrorMiddleware: RouterMiddleware {
    /// The request id in every error body comes from this context.
    public typealias Context = AppRequestContext

    /// The routes, to tell an unknown path (404) from a known one asked with another method (405 and `Allow`).
    let routes: RouteTable

    /// - Parameter routes: the router's routes; an empty table answers 404 where a filled one would answer 405.
    public init(routes: RouteTable = RouteTable()) {
        self.routes = routes
    }

    /// Runs the rest of the chain and turns any error it throws into the JSON error response: a `FaceMatrixError` with
    /// its own status and error_code, Hummingbird's errors mapped onto the contract (a known path asked with another
    /// method → 405), and anything else 500 `internal_error`, logged but never shown.
    ///
    /// - Throws: only when the error body cannot be encoded.
    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as FaceMatrixError {
            return try Self.response(for: error, requestID: context.requestID)
        } catch let error as any HTTPResponseError {
            if error.status == .notFound, let allowed = routes.methods(forPath: request.uri.path) {
                return try Self.response(for: .methodNotAllowed(allowed: allowed), requestID: context.requestID)
            }
            return try Self.response(for: Self.translate(error), requestID: context.requestID)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return try Self.response(for: .internalError, requestID: context.requestID)
        }
    }

    static func response(for error: FaceMatrixError, requestID: String) throws -> Response {
        var headers = HTTPFields()
        if case .dependencyUnavailable(_, let retryAfter) = error {
            headers[.retryAfter] = String(retryAfter)
        }
        if case .methodNotAllowed(let allowed) = error {
            headers[.allow] = allowed.joined(separator: ", ")
        }
        if case .unauthorized = error {
            headers[.wwwAuthenticate] = #"Bearer realm="FaceMatrix""#
        }
        return try jsonResponse(
            ErrorBody(error, requestID: requestID),
            status: .init(code: error.httpStatus),
            headers: headers
        )
    }

    /// Hummingbird's own errors (unknown route, body too large, bad JSON) mapped onto the error contract.
    static func translate(_ error: any HTTPResponseError) -> FaceMatrixError {
        switch error.status {
        case .notFound: .endpointNotFound
        case .methodNotAllowed: .methodNotAllowed(allowed: [])
        case .contentTooLarge: .imageTooLarge("the request body exceeds the byte limit")
        case .unsupportedMediaType: .unsupportedMediaType("this endpoint does not accept that content type")
        case .serviceUnavailable: .dependencyUnavailable("busy", retryAfterSeconds: 1)
        case let status where status.code >= 500: .internalError
        default: .validationFailed(field: "request", reason: "the request could not be read")
        }
    }
}

/// The methods each route answers, filled in once the router has every route (the middleware that reads it is
/// added before the routes, as Hummingbird requires).
public final class RouteTable: Sendable {
    private let routes = Mutex<[(path: RouterPath, method: HTTPRequest.Method)]>([])

    /// An empty table; `buildRouter` fills it once every route is added.
    public init() {}

    func record(_ router: Router<AppRequestContext>) {
        let found = router.routes.map { (path: $0.path, method: $0.method) }
        routes.withLock { $0 = found }
    }

    /// The methods of the routes whose pattern matches `path`, sorted; nil when none does.
    func methods(forPath path: String) -> [String]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        let methods = routes.withLock { routes in
            routes.filter { route in
                route.path.components.count == segments.count
                    && zip(route.path.components, segments).allSatisfy { $0 ~= $1 }
            }.map(\.method.rawValue)
        }
        // HEAD is generated for every GET route when the responder is built, after the routes are recorded.
        let withHead = methods.contains("GET") ? methods + ["HEAD"] : methods
        return withHead.isEmpty ? nil : Set(withHead).sorted()
    }
}
