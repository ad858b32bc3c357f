/// Every failure a caller of FaceMatrix can see, with its documented code, slug and HTTP status.
///
/// The HTTP layer renders these as `{"status":"error","error_code":…,"error":…,"message":…}`; the CLI prints
/// `message`. Messages are written for the person calling the API and never carry internal details.
public enum FaceMatrixError: Error, Equatable, Sendable {
    /// The photo was read, but the detector found no face in it.
    case faceNotDetected
    /// The upload is missing or cannot be decoded as an image; the string says which.
    case invalidImage(String)
    /// The request body or the decoded image exceeds a byte or pixel limit; the string names it.
    case imageTooLarge(String)
    /// A face to enrol misses a `QualityRequirements` minimum; the string lists the shortfalls.
    case faceQualityTooLow(String)
    /// A request field is missing or malformed (see `NewUser.validated`); `reason` is addressed to the caller.
    case validationFailed(field: String, reason: String)
    /// The enrollment key is unknown, expired or already used.
    case enrollmentKeyNotFound
    /// No user has this id.
    case userNotFound
    /// Enrolment would duplicate a user: the face is already enrolled, or the email address is taken.
    case userAlreadyExists(String)
    /// A face added to a user does not verify against the faces they already have (1:1).
    case faceMismatch(String)
    /// API keys are on and the request carries none, or one that is unknown or revoked.
    case unauthorized
    /// The request's API key is valid but its role does not allow this endpoint.
    case forbidden(required: String)
    /// The request's `Content-Type` is not one this endpoint accepts.
    case unsupportedMediaType(String)
    /// `retryAfterSeconds` becomes the `Retry-After` header.
    case dependencyUnavailable(String, retryAfterSeconds: Int)
    /// No endpoint at this path, or not with this method.
    case endpointNotFound
    /// `allowed` (the methods this path answers) becomes the `Allow` header.
    case methodNotAllowed(allowed: [String])
    /// Any unexpected failure; the caller is told nothing more.
    case internalError

    /// The documented `error_code`: 601–613 for the service's own errors; 404, 405 and 500 otherwise.
    public var code: Int {
        switch self {
        case .faceNotDetected: 601
        case .invalidImage: 602
        case .imageTooLarge: 603
        case .faceQualityTooLow: 604
        case .validationFailed: 605
        case .enrollmentKeyNotFound: 606
        case .userNotFound: 607
        case .userAlreadyExists: 608
        case .unsupportedMediaType: 609
        case .dependencyUnavailable: 610
        case .faceMismatch: 611
        case .unauthorized: 612
        case .forbidden: 613
        case .endpointNotFound: 404
        case .methodNotAllowed: 405
        case .internalError: 500
        }
    }

    /// A stable snake_case name for the error: the response's `error` field.
    public var slug: String {
        switch self {
        case .faceNotDetected: "face_not_detected"
        case .invalidImage: "invalid_image"
        case .imageTooLarge: "image_too_large"
        case .faceQualityTooLow: "face_quality_too_low"
        case .validationFailed: "validation_failed"
        case .enrollmentKeyNotFound: "enrollment_key_not_found"
        case .userNotFound: "user_not_found"
        case .userAlreadyExists: "user_already_exists"
        case .unsupportedMediaType: "unsupported_media_type"
        case .dependencyUnavailable: "dependency_unavailable"
        case .faceMismatch: "face_mismatch"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .endpointNotFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .internalError: "internal_error"
        }
    }

    /// The HTTP status code of the error response.
    public var httpStatus: Int {
        switch self {
        case .faceNotDetected, .invalidImage, .validationFailed: 400
        case .imageTooLarge: 413
        case .faceQualityTooLow, .faceMismatch: 422
        case .unauthorized: 401
        case .forbidden: 403
        case .enrollmentKeyNotFound, .userNotFound: 404
        case .userAlreadyExists: 409
        case .unsupportedMediaType: 415
        case .dependencyUnavailable: 503
        case .endpointNotFound: 404
        case .methodNotAllowed: 405
        case .internalError: 500
        }
    }

}
