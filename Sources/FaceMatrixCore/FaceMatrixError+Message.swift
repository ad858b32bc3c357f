/// What the caller reads.
extension FaceMatrixError {
    /// The explanation for the API caller: the response's `message` field, and what the CLI prints.
    public var message: String {
        switch self {
        case .faceNotDetected: "Face not detected in the image"
        case .invalidImage(let detail): "The image could not be read: \(detail)"
        case .imageTooLarge(let detail): "The image is too large: \(detail)"
        case .faceQualityTooLow(let detail): "The face is not good enough for enrollment: \(detail)"
        case .validationFailed(let field, let reason): "Invalid field '\(field)': \(reason)"
        case .enrollmentKeyNotFound: "The enrollment key is unknown, expired or already used"
        case .userNotFound: "No user with this id"
        case .userAlreadyExists(let detail): "The user already exists: \(detail)"
        case .faceMismatch(let detail): "The face does not match this user's enrolled faces: \(detail)"
        case .unauthorized: "An API key is required: send it as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'"
        case .forbidden(let required): "This API key may not do this; it needs the '\(required)' role"
        case .unsupportedMediaType(let detail): "Unsupported content type: \(detail)"
        case .dependencyUnavailable(let what, _): "The service is temporarily unavailable (\(what)); retry shortly"
        case .endpointNotFound: "No such endpoint"
        case .methodNotAllowed: "This endpoint does not accept this method"
        case .internalError: "An internal error occurred"
        }
    }
}
