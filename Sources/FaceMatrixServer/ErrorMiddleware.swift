import FaceMatrixCore
import Foundation
public import Hummingbird

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
}

/// Turns every error a route throws into the documented JSON error response, so that no caller ever sees a
/// stack trace, an empty body or a framework's own error format.
public struct ErrorMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    public init() {}

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
        let body = ErrorBody(errorCode: error.code, error: error.slug, message: error.message, requestId: requestID)
        return try jsonResponse(body, status: .init(code: error.httpStatus), headers: headers)
    }

    /// Hummingbird's own errors (unknown route, body too large, bad JSON) mapped onto the error contract.
    static func translate(_ error: any HTTPResponseError) -> FaceMatrixError {
        switch error.status {
        case .notFound: .endpointNotFound
        case .methodNotAllowed: .methodNotAllowed
        case .contentTooLarge: .imageTooLarge("the request body exceeds the byte limit")
        case .unsupportedMediaType: .unsupportedMediaType("this endpoint does not accept that content type")
        case .serviceUnavailable: .dependencyUnavailable("busy", retryAfterSeconds: 1)
        case let status where status.code >= 500: .internalError
        default: .validationFailed(field: "request", reason: "the request could not be read")
        }
    }
}
