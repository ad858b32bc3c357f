public import Foundation

/// An enrolled person.
public struct User: Codable, Sendable, Equatable {
    /// Opaque id the service assigns at enrolment.
    public var id: String
    /// The name as validated by `NewUser.validated`.
    public var name: String
    /// `YYYY-MM-DD`.
    public var birthdate: String
    /// Contact address, unique among users; nil when none was given.
    public var email: String?

    /// Creates a user from stored or validated details.
    public init(id: String, name: String, birthdate: String, email: String?) {
        self.id = id
        self.name = name
        self.birthdate = birthdate
        self.email = email
    }
}

/// Where the face of a new enrollment comes from.
public enum FaceSource: Sendable, Equatable {
    /// An embedding kept from an earlier recognition, quoted by its enrollment key.
    case enrollmentKey(String)
    /// A face analysed in this request.
    case face(EnrolledFace)
}

/// A face ready to be stored: its embedding and what the pipeline said about it.
public struct EnrolledFace: Sendable, Equatable, Codable {
    /// The face's embedding.
    public var embedding: Embedding
    /// Where the detector found the face in the photo, with its landmarks.
    public var detection: DetectedFace
    /// The face's quality measurements.
    public var quality: FaceQuality

    /// Creates a face record from the pipeline's results.
    public init(embedding: Embedding, detection: DetectedFace, quality: FaceQuality) {
        self.embedding = embedding
        self.detection = detection
        self.quality = quality
    }
}

/// The model an embedding was made with; embeddings of different models are never compared.
public struct ModelIdentity: Sendable, Equatable, Hashable {
    /// The model's name (the manifest's `name`).
    public var name: String
    /// The model's version (the manifest's `version`).
    public var version: String
    /// Number of values in the model's embeddings.
    public var dimension: Int

    /// Identifies a model by name, version and embedding dimension.
    public init(name: String, version: String, dimension: Int) {
        self.name = name
        self.version = version
        self.dimension = dimension
    }

    /// How rows record the model: `name@version`.
    public var key: String { "\(name)@\(version)" }
}

/// The two best users for a face among the enrolled faces of one model, and how many users that model has.
public struct UserSearchResult: Sendable, Equatable {
    /// The user with the most similar face; nil when nobody has a face of this model.
    public var best: Candidate?
    /// The next most similar user, for the identification margin; nil when there is none.
    public var runnerUp: Candidate?
    /// Users with at least one face of this model: the N of the open-set threshold.
    public var gallerySize: Int

    /// Creates a search result.
    public init(best: Candidate?, runnerUp: Candidate?, gallerySize: Int) {
        self.best = best
        self.runnerUp = runnerUp
        self.gallerySize = gallerySize
    }
}

/// An enrolled user with how many faces they have.
public struct UserRecord: Sendable, Equatable {
    /// The user's details.
    public var user: User
    /// Faces stored for the user, of every model.
    public var faceCount: Int
    /// When the user was enrolled.
    public var createdAt: Date

    /// Creates a user record.
    public init(user: User, faceCount: Int, createdAt: Date) {
        self.user = user
        self.faceCount = faceCount
        self.createdAt = createdAt
    }
}

/// What an API key may do. `admin` includes everything `recognise` may.
public enum APIRole: String, Sendable, CaseIterable, Codable {
    /// Recognize and verify: the door, the desk, the login screen. Spelled `recognise` in configuration, on the
    /// command line and in the database, as the API's paths are.
    case recognize = "recognise"
    /// Also enrol, add faces, read and erase users.
    case admin

    /// Whether a key of this role may do what `required` allows.
    public func permits(_ required: APIRole) -> Bool {
        self == .admin || required == .recognize
    }
}
