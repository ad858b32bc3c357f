public import FaceMatrixCore
public import ImageDecoding

extension FaceMatrixError {
    /// The API's view of a decoding failure: `.imageTooLarge` for the byte and pixel limits, `.invalidImage` for
    /// everything else, with a message fit for the client (a codec's own message is not passed on).
    public init(_ error: ImageDecodingError) {
        switch error {
        case .empty: self = .invalidImage("the image is empty")
        case .unsupportedFormat: self = .invalidImage("not a JPEG, PNG, WebP or HEIF image")
        case .corrupt: self = .invalidImage("the image data is corrupt")
        case .truncated: self = .invalidImage("the image data is truncated")
        case .animated: self = .invalidImage("animated images are not supported; send a still photo")
        case .tooManyBytes(let limit): self = .imageTooLarge("the file exceeds the byte limit of \(limit) bytes")
        case .tooManyPixels(let width, let height, let limit):
            self = .imageTooLarge("\(width)×\(height) pixels exceeds the pixel limit of \(limit) pixels")
        }
    }
}
