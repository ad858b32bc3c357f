import FaceMatrixCore
import FaceMatrixHTTP
import Hummingbird
import Recognition

/// The recognition API under /api/v1 (and the older /api paths for recognition).
struct RecognitionRoutes: Sendable {
    let service: RecognitionService
    /// Upload limit for a whole multipart body: the image limit plus room for the other fields.
    let uploadLimit: Int
    /// The longest a request body may take to arrive.
    var bodyDeadline = RequestFields.bodyDeadline
    /// JSON bodies never carry images, so they are kept small.
    static let jsonLimit = 64 * 1024

    private func readFields(of request: Request) async throws -> RequestFields {
        try await RequestFields.read(
            request,
            byteLimit: uploadLimit,
            jsonLimit: Self.jsonLimit,
            deadline: bodyDeadline
        )
    }

    func register(on router: Router<AppRequestContext>) {
        for path in ["/api/v1/recognise_user", "/api/v1/recognize_user", "/api/recognise_user", "/api/recognize_user"] {
            router.post(RouterPath(path)) { request, context in try await recognize(request, context) }
        }
        router.post("/api/v1/add_user") { request, context in try await addUser(request, context) }
        router.post("/api/v1/verify") { request, context in try await verify(request, context) }
        router.get("/api/v1/users/{id}") { _, context in
            let id = try context.parameters.require("id")
            let record = try await service.user(id: id)
            return try jsonResponse(APIResponse.UserDetails(record, requestID: context.requestID))
        }
        router.delete("/api/v1/users/{id}") { _, context in
            let id = try context.parameters.require("id")
            try await service.deleteUser(id: id)
            return try jsonResponse(APIResponse.UserChanged.deleted(id, requestID: context.requestID))
        }
        router.post("/api/v1/users/{id}/faces") { request, context in
            let id = try context.parameters.require("id")
            let fields = try await readFields(of: request)
            let record = try await service.addFace(toUser: id, face: try fields.faceInput())
            return try jsonResponse(
                APIResponse.FaceAdded(userID: id, faces: record.faceCount, requestId: context.requestID),
                status: .created
            )
        }
    }

    func recognize(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields: RequestFields
        do {
            fields = try await readFields(of: request)
        } catch FaceMatrixError.validationFailed(field: "body", let reason) where reason.contains("multipart") {
            // Without a readable multipart body there is no image to look at. A body that is cut off or too slow
            // stays what it is (605), as on every other route.
            throw FaceMatrixError.invalidImage("the multipart body is malformed or has no 'image' field")
        }
        guard !fields.isJSON else {
            throw FaceMatrixError.unsupportedMediaType("recognition takes multipart/form-data with an image")
        }
        guard let image = fields.image else { throw FaceMatrixError.invalidImage("the 'image' field is missing") }
        var threshold: Double?
        if let raw = fields.text["threshold"] {
            guard Self.isPlainDecimal(raw), let value = Double(raw) else {
                throw FaceMatrixError.validationFailed(
                    field: "threshold",
                    reason: "must be a plain decimal number such as 0.6"
                )
            }
            threshold = value
        }
        if try allFaces(fields.text["all_faces"]) {
            let group = try await service.recognizeEveryFace(image: image, threshold: threshold)
            return try jsonResponse(APIResponse.RecognizedFaces(group, service: service, requestID: context.requestID))
        }
        let recognition = try await service.recognize(image: image, threshold: threshold)
        return try jsonResponse(APIResponse.Recognized(recognition, service: service, requestID: context.requestID))
    }

    /// Digits with at most one decimal point and at least one digit (`0.6`, `.6`, `1`): what the document's
    /// pattern admits. No sign, exponent, white space, `inf` or `nan`, which `Double(_:)` alone would take.
    static func isPlainDecimal(_ raw: String) -> Bool {
        let bytes = Array(raw.utf8)
        let digits = bytes.filter { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }.count
        let points = bytes.filter { $0 == UInt8(ascii: ".") }.count
        return digits >= 1 && points <= 1 && digits + points == bytes.count
    }

    /// `all_faces`: absent, `false`, `0`, `off` or `no` → the main face only; `true`, `1`, `on` (what an HTML
    /// checkbox sends) or `yes` → every face. Exactly these words, as the document lists them.
    private func allFaces(_ raw: String?) throws -> Bool {
        switch raw {
        case nil, "false", "0", "off", "no": return false
        case "true", "1", "on", "yes": return true
        default: throw FaceMatrixError.validationFailed(field: "all_faces", reason: "must be true or false")
        }
    }

    func verify(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await readFields(of: request)
        guard !fields.isJSON else {
            throw FaceMatrixError.unsupportedMediaType("verification takes multipart/form-data with an image")
        }
        let userID = fields.text["user_id"] ?? ""
        guard !userID.isEmpty else { throw FaceMatrixError.validationFailed(field: "user_id", reason: "is required") }
        guard RecognitionService.isWellFormedUserID(userID) else {
            throw FaceMatrixError.validationFailed(field: "user_id", reason: "must be usr_ and 32 lowercase hex digits")
        }
        guard let image = fields.image else { throw FaceMatrixError.invalidImage("the 'image' field is missing") }
        let verification = try await service.verify(image: image, userID: userID)
        return try jsonResponse(APIResponse.Verified(verification, service: service, requestID: context.requestID))
    }

    func addUser(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await readFields(of: request)
        let user = try NewUser.validated(
            name: fields.text["name"],
            birthdate: fields.text["birthdate"],
            email: fields.text["email"]
        )
        let record = try await service.addUser(user, face: try fields.faceInput())
        return try jsonResponse(
            APIResponse.UserChanged.created(record.user.id, requestID: context.requestID),
            status: .created
        )
    }
}
