import FaceMatrixCore
public import FaceMatrixHTTP
import Foundation
import Hummingbird
import NIOCore
import Recognition

/// Reading a request's fields from Hummingbird's streamed body (the parsing itself is FaceMatrixHTTP's).
extension RequestFields {
    /// Reads the body, refusing it while it streams in once it passes `byteLimit` (`jsonLimit` for JSON, which
    /// never carries an image): a 413 before it is buffered.
    static func read(_ request: Request, byteLimit: Int, jsonLimit: Int, deadline: Duration = bodyDeadline)
        async throws -> RequestFields
    {
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        switch mediaType {
        case "multipart/form-data":
            guard let boundary = parameter("boundary", in: contentType) else {
                throw FaceMatrixError.validationFailed(field: "body", reason: "multipart/form-data without a boundary")
            }
            return try multipart(
                try await collect(request, byteLimit: byteLimit, deadline: deadline),
                boundary: boundary
            )
        case "application/json":
            return try json(
                try await collect(request, byteLimit: min(byteLimit, jsonLimit), deadline: deadline),
                fields: jsonMembers
            )
        default:
            throw FaceMatrixError.unsupportedMediaType(
                "send multipart/form-data or application/json, not \(mediaType.map { "'\($0)'" } ?? "an empty type")"
            )
        }
    }

    /// The members any JSON body of the API is read for (enrolment by key, a face added by key).
    static let jsonMembers: Set<String> = ["name", "birthdate", "email", "req_id"]

    /// The longest a body may take to arrive. The connection's idle timeout ends an upload that stops; this ends
    /// one that trickles (a byte every few seconds would reset the idle timer for ever). Two minutes carry the
    /// largest photo at about 700 kbit/s, a poor mobile connection.
    public static let bodyDeadline: Duration = .seconds(120)

    /// The whole body; over the limit → 413 (Hummingbird's error, translated by ErrorMiddleware). A body that ends
    /// before its declared length (the client hung up mid-upload) or takes longer than `deadline` to arrive is the
    /// client's doing, so it is a 400, not a 500.
    static func collect(_ request: Request, byteLimit: Int, deadline: Duration = bodyDeadline) async throws
        -> ByteBuffer
    {
        do {
            let body = request.body
            return try await withDeadline(deadline) { try await body.collect(upTo: byteLimit) }
        } catch is DeadlineExceeded {
            throw FaceMatrixError.validationFailed(
                field: "body",
                reason: "the body did not arrive within \(deadline.components.seconds) s"
            )
        } catch let error as any HTTPResponseError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw FaceMatrixError.validationFailed(field: "body", reason: "the body ended before its declared length")
        }
    }

    /// Exactly one of `req_id` and `image`, as enrollment requires.
    func faceInput() throws -> RecognitionService.FaceInput {
        // Taken as sent: the document's pattern for a key admits no padding, so the server admits none either.
        switch (text["req_id"], image) {
        case (let key?, nil):
            guard RecognitionService.isWellFormedKey(key) else {
                throw FaceMatrixError.validationFailed(
                    field: "req_id",
                    reason: "must be req- and 32 lowercase hex digits"
                )
            }
            return .enrollmentKey(key)
        case (nil, let image?): return .image(image)
        case (.some, .some):
            throw FaceMatrixError.validationFailed(field: "req_id", reason: "give either req_id or image, not both")
        case (nil, nil):
            throw FaceMatrixError.validationFailed(
                field: "req_id",
                reason: isJSON ? "is required" : "give either req_id or an image"
            )
        }
    }
}
