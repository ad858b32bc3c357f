/// The API's OpenAPI 3.1 description, served at `GET /openapi.yaml`. A test checks every route of the router and
/// every response body the tests see against it, so it cannot drift from the code.
public enum OpenAPIDocument {
    /// The document, as served (`application/yaml`).
    public static let yaml = #"""
        openapi: 3.1.0
        info:
          title: FaceMatrix
          version: 1.0.0
          description: >-
            Face recognition: upload a photo to find out who it shows; unknown faces get an enrollment key with which
            the person can enrol by name and birthdate without uploading again. Once API keys exist (FACEMATRIX_API_KEYS,
            or `facematrix keys create`), every /api/ operation needs one: recognise and verify a 'recognise' or
            'admin' key, the others an 'admin' key (401 without a valid key, 403 with too weak a one).
        security:
          - bearer: []
          - apiKeyHeader: []
          - {}
        paths:
          /api/v1/recognise_user:
            post: &recognise
              summary: Recognise the main face of a photo
              requestBody:
                required: true
                content:
                  multipart/form-data:
                    schema:
                      type: object
                      required: [image]
                      properties:
                        image: {$ref: "#/components/schemas/Photo"}
                        threshold:
                          type: string
                          pattern: "^([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(?![\\s\\S])"
                          description: >-
                            A similarity threshold for this request, written as a plain decimal number; it must lie
                            within FACEMATRIX_ALLOWED_THRESHOLDS (default 0.3 to 0.95), else 400/605
                        all_faces:
                          type: string
                          enum: ["true", "false", "1", "0", "on", "off", "yes", "no"]
                          description: >-
                            true: answer for every face (the most prominent first, at most FACEMATRIX_MAX_FACES)
                            instead of the main face only
              responses:
                "200":
                  description: >-
                    A match, or no match with an enrollment key; with all_faces=true, one such answer per face
                  headers: {X-Request-ID: {$ref: "#/components/headers/RequestID"}}
                  content:
                    application/json:
                      schema:
                        oneOf:
                          - {$ref: "#/components/schemas/Recognition"}
                          - {$ref: "#/components/schemas/FaceRecognitions"}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "415": {$ref: "#/components/responses/UnsupportedMediaType"}
                "503": {$ref: "#/components/responses/Unavailable"}
          /api/v1/recognize_user:
            post: *recognise
          /api/recognise_user:
            post: *recognise
          /api/recognize_user:
            post: *recognise
          /api/v1/add_user:
            post:
              summary: Enrol a person from an enrollment key or a photo
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: "#/components/schemas/NewUserByKey"}
                  multipart/form-data:
                    schema:
                      type: object
                      required: [name, birthdate]
                      oneOf:
                        - {required: [image]}
                        - {required: [req_id]}
                      properties:
                        name: {$ref: "#/components/schemas/Name"}
                        birthdate: {$ref: "#/components/schemas/Birthdate"}
                        email: {$ref: "#/components/schemas/Email"}
                        req_id: {$ref: "#/components/schemas/EnrollmentKey"}
                        image: {$ref: "#/components/schemas/Photo"}
              responses:
                "201":
                  description: The user was created
                  headers: {X-Request-ID: {$ref: "#/components/headers/RequestID"}}
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/UserCreated"}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "404": {$ref: "#/components/responses/KeyNotFound"}
                "409": {$ref: "#/components/responses/Conflict"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "415": {$ref: "#/components/responses/UnsupportedMediaType"}
                "422": {$ref: "#/components/responses/Unprocessable"}
                "503": {$ref: "#/components/responses/Unavailable"}
          /api/v1/users/{id}:
            parameters:
              - {name: id, in: path, required: true, schema: {$ref: "#/components/schemas/UserID"}}
            get:
              summary: A user and how many faces they have enrolled
              responses:
                "200":
                  description: The user
                  headers: {X-Request-ID: {$ref: "#/components/headers/RequestID"}}
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/UserDetails"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "404": {$ref: "#/components/responses/UserNotFound"}
                "503": {$ref: "#/components/responses/Unavailable"}
            delete:
              summary: Erase the user and every embedding of theirs
              responses:
                "200":
                  description: The user was erased
                  headers: {X-Request-ID: {$ref: "#/components/headers/RequestID"}}
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/UserDeleted"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "404": {$ref: "#/components/responses/UserNotFound"}
                "503": {$ref: "#/components/responses/Unavailable"}
          /api/v1/verify:
            post:
              summary: 1:1 verification - is the main face of this photo the user with this id?
              requestBody:
                required: true
                content:
                  multipart/form-data:
                    schema:
                      type: object
                      required: [image, user_id]
                      properties:
                        image: {$ref: "#/components/schemas/Photo"}
                        user_id: {$ref: "#/components/schemas/UserID"}
              responses:
                "200":
                  description: Same person or not, with the similarity and the 1:1 threshold used
                  headers: {X-Request-ID: {$ref: "#/components/headers/RequestID"}}
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Verification"}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "404": {$ref: "#/components/responses/UserNotFound"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "415": {$ref: "#/components/responses/UnsupportedMediaType"}
                "503": {$ref: "#/components/responses/Unavailable"}
          /api/v1/users/{id}/faces:
            parameters:
              - {name: id, in: path, required: true, schema: {$ref: "#/components/schemas/UserID"}}
            post:
              summary: Add another face to a user (a photo, or an enrollment key)
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [req_id]
                      properties:
                        req_id: {$ref: "#/components/schemas/EnrollmentKey"}
                  multipart/form-data:
                    schema:
                      type: object
                      oneOf:
                        - {required: [image]}
                        - {required: [req_id]}
                      properties:
                        image: {$ref: "#/components/schemas/Photo"}
                        req_id: {$ref: "#/components/schemas/EnrollmentKey"}
              responses:
                "201":
                  description: The face was added
                  headers: {X-Request-ID: {$ref: "#/components/headers/RequestID"}}
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/FaceAdded"}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "404": {$ref: "#/components/responses/KeyOrUserNotFound"}
                "409": {$ref: "#/components/responses/Conflict"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "415": {$ref: "#/components/responses/UnsupportedMediaType"}
                "422": {$ref: "#/components/responses/Unprocessable"}
                "503": {$ref: "#/components/responses/Unavailable"}
          /health/live:
            get:
              summary: The process is up
              security: []
              responses:
                "200":
                  description: Alive
                  headers: {X-Request-ID: {$ref: "#/components/headers/RequestID"}}
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [status, requestId]
                        properties:
                          status: {type: string, const: alive}
                          requestId: {type: string}
          /health/ready:
            get:
              summary: Every dependency answers (database, pgvector, inference runtime, models)
              security: []
              responses:
                "200":
                  description: Ready
                  headers: {X-Request-ID: {$ref: "#/components/headers/RequestID"}}
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Readiness"}
                "503":
                  description: Not ready; `not_ready` names what is missing
                  headers: {X-Request-ID: {$ref: "#/components/headers/RequestID"}}
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Readiness"}
          /metrics:
            get:
              summary: Prometheus metrics (on FACEMATRIX_METRICS_PORT instead, when that is set)
              security: []
              responses:
                "200":
                  description: Metrics in the Prometheus text format
                  content:
                    text/plain: {schema: {type: string}}
          /openapi.yaml:
            get:
              summary: This document
              security: []
              responses:
                "200":
                  description: OpenAPI 3.1 in YAML
                  content:
                    application/yaml: {schema: {type: string}}
        components:
          securitySchemes:
            bearer: {type: http, scheme: bearer, description: "Authorization: Bearer KEY"}
            apiKeyHeader: {type: apiKey, in: header, name: X-API-Key}
          headers:
            RequestID:
              description: >-
                The request's id, also in the body and the logs: the caller's X-Request-ID when it is 1 to 128 of
                A-Z a-z 0-9 - _ . :, a fresh UUID otherwise
              required: true
              schema: {type: string, pattern: "^[A-Za-z0-9._:-]{1,128}$"}
          responses:
            BadRequest:
              description: >-
                601 no face in the photo; 602 the photo cannot be read (or the multipart body, or its image part, is
                missing or malformed); 605 a field is missing or invalid (the message names it)
              headers: {X-Request-ID: {$ref: "#/components/headers/RequestID"}}
              content:
                application/json:
                  schema: {allOf: [{$ref: "#/components/schemas/Error"}, {properties: {error_code: {enum: [601, 602, 605]}}}]}
            Unauthorized:
              description: 612 API keys are on and the request has no valid one
              headers:
                X-Request-ID: {$ref: "#/components/headers/RequestID"}
                WWW-Authenticate: {required: true, schema: {type: string, const: "Bearer realm=\"FaceMatrix\""}}
              content:
                application/json:
                  schema: {allOf: [{$ref: "#/components/schemas/Error"}, {properties: {error_code: {const: 612}}}]}
            Forbidden:
              description: 613 the key's role may not do this (enrolment, look-up and erasure need 'admin')
              headers: {X-Request-ID: {$ref: "#/components/headers/RequestID"}}
              content:
                application/json:
                  schema: {allOf: [{$ref: "#/components/schemas/Error"}, {properties: {error_code: {const: 613}}}]}
            KeyNotFound:
              description: 606 the enrollment key is unknown, expired or already used
              headers: {X-Request-ID: {$ref: "#/components/headers/RequestID"}}
              content:
                application/json:
                  schema: {allOf: [{$ref: "#/components/schemas/Error"}, {properties: {error_code: {const: 606}}}]}
            UserNotFound:
              description: 607 no user has this id
              headers: {X-Request-ID: {$ref: "#/components/headers/RequestID"}}
              content:
                application/json:
                  schema: {allOf: [{$ref: "#/components/schemas/Error"}, {properties: {error_code: {const: 607}}}]}
            KeyOrUserNotFound:
              description: 606 the enrollment key is unknown, expired or already used; 607 no user has this id
              headers: {X-Request-ID: {$ref: "#/components/headers/RequestID"}}
              content:
                application/json:
                  schema: {allOf: [{$ref: "#/components/schemas/Error"}, {properties: {error_code: {enum: [606, 607]}}}]}
            Conflict:
              description: >-
                608 the face is enrolled already (as this user or as another), or the email address is taken
              headers: {X-Request-ID: {$ref: "#/components/headers/RequestID"}}
              content:
                application/json:
                  schema: {allOf: [{$ref: "#/components/schemas/Error"}, {properties: {error_code: {const: 608}}}]}
            TooLarge:
              description: >-
                603 the body exceeds the byte limit (the photo limit plus 1 MiB; 64 KiB for a JSON body), or the
                image the pixel limit
              headers: {X-Request-ID: {$ref: "#/components/headers/RequestID"}}
              content:
                application/json:
                  schema: {allOf: [{$ref: "#/components/schemas/Error"}, {properties: {error_code: {const: 603}}}]}
            UnsupportedMediaType:
              description: 609 the body is neither multipart/form-data nor JSON, or not the kind this operation takes
              headers: {X-Request-ID: {$ref: "#/components/headers/RequestID"}}
              content:
                application/json:
                  schema: {allOf: [{$ref: "#/components/schemas/Error"}, {properties: {error_code: {const: 609}}}]}
            Unprocessable:
              description: >-
                604 the face is not good enough to enrol (the message says why); 611 the face does not match the
                user it is being added to
              headers: {X-Request-ID: {$ref: "#/components/headers/RequestID"}}
              content:
                application/json:
                  schema: {allOf: [{$ref: "#/components/schemas/Error"}, {properties: {error_code: {enum: [604, 611]}}}]}
            Unavailable:
              description: >-
                610 the database is unreachable, or the expected wait for the inference workers exceeds the latency
                budget; retry after Retry-After seconds
              headers:
                X-Request-ID: {$ref: "#/components/headers/RequestID"}
                Retry-After: {required: true, schema: {type: string, pattern: "^[0-9]+$"}}
              content:
                application/json:
                  schema: {allOf: [{$ref: "#/components/schemas/Error"}, {properties: {error_code: {const: 610}}}]}
          schemas:
            Photo:
              type: string
              format: binary
              description: >-
                JPEG, PNG, WebP or HEIF (HEIC, AVIF), at most FACEMATRIX_MAX_IMAGE_BYTES (10 MB) and
                FACEMATRIX_MAX_IMAGE_PIXELS (40 megapixels)
            Name:
              type: string
              minLength: 1
              maxLength: 200
              pattern: "^(?![\\s\\S]*[\\x00-\\x1f\\x7f-\\x9f])[\\s\\S]*[^\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
              description: >-
                At most 200 characters, not only spaces, no control characters; leading and trailing spaces are
                removed
            Birthdate:
              type: string
              format: date
              pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}(?![\\s\\S])"
              description: A real calendar date, not before 1900-01-01 and not in the future
            Email:
              type: string
              maxLength: 254
              pattern: "^(?![\\s\\S]*[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029])(|[^@\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{1,64}@([^@.\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{1,63}\\.)+[^@.\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{2,63})(?![\\s\\S])"
              description: Optional; empty means none. One user per address.
            EnrollmentKey:
              type: string
              pattern: "^req-[0-9a-f]{32}(?![\\s\\S])"
              description: The req_id a recognition answered with; single use, valid for FACEMATRIX_ENROLLMENT_KEY_TTL
            UserID:
              type: string
              pattern: "^usr_[0-9a-f]{32}(?![\\s\\S])"
            Error:
              type: object
              required: [status, error_code, error, message, requestId]
              properties:
                status: {type: string, const: error}
                error_code: {type: integer, enum: [500, 404, 405, 601, 602, 603, 604, 605, 606, 607, 608, 609, 610, 611, 612, 613]}
                error: {type: string}
                message: {type: string}
                requestId: {type: string}
            Point:
              type: object
              required: [x, y]
              properties:
                x: {type: number}
                y: {type: number}
            Box:
              type: object
              required: [x, y, width, height]
              properties:
                x: {type: number}
                y: {type: number}
                width: {type: number}
                height: {type: number}
            Landmarks:
              type: object
              required: [leftEye, rightEye, nose, mouthLeft, mouthRight]
              properties:
                leftEye: {$ref: "#/components/schemas/Point"}
                rightEye: {$ref: "#/components/schemas/Point"}
                nose: {$ref: "#/components/schemas/Point"}
                mouthLeft: {$ref: "#/components/schemas/Point"}
                mouthRight: {$ref: "#/components/schemas/Point"}
            Quality:
              type: object
              required: [confidence, face_size, interocular_distance, sharpness, roll, yaw, frontal_score]
              properties:
                confidence: {type: number}
                face_size: {type: number}
                interocular_distance: {type: number}
                sharpness: {type: number}
                roll: {type: number}
                yaw: {type: number}
                frontal_score: {type: number}
            UserInfo:
              type: object
              required: [id, name, birthdate, email]
              properties:
                id: {type: string}
                name: {type: string}
                birthdate: {type: string, format: date}
                email: {type: [string, "null"]}
            Metadata:
              type: object
              required: [similarity, threshold, target_far, margin, gallery_size, faces_detected, box, confidence,
                         landmarks, quality, model, timings_ms]
              properties:
                similarity: {type: [number, "null"], description: Similarity of the best candidate}
                user_id: {type: string, description: Present only when the best candidate matched}
                threshold: {type: number, description: "The similarity a match needed at this gallery size"}
                target_far:
                  type: [number, "null"]
                  description: >-
                    The open-set false-accept rate the threshold was set for (FACEMATRIX_TARGET_FAR); null when a
                    fixed threshold was used (FACEMATRIX_MATCH_THRESHOLD or the request's threshold)
                margin: {type: number, description: "The lead the best user needed over the runner-up"}
                gallery_size: {type: integer, description: "Enrolled users of this model"}
                faces_detected: {type: integer}
                box: {$ref: "#/components/schemas/Box"}
                confidence: {type: number}
                landmarks: {$ref: "#/components/schemas/Landmarks"}
                quality: {$ref: "#/components/schemas/Quality"}
                model: {$ref: "#/components/schemas/Model"}
                timings_ms:
                  type: object
                  additionalProperties: {type: number}
                quality_shortfalls:
                  type: array
                  items: {type: string}
                  description: >-
                    For an unmatched face: the enrolment quality minimums it misses (then it gets no enrollment
                    key), each saying what to change; empty otherwise
            Recognition:
              type: object
              required: [status, message, user_info, metadata, requestId]
              properties:
                status: {type: string, enum: [success, failure]}
                message: {type: string, enum: [Match found, no_match]}
                user_info:
                  oneOf:
                    - {$ref: "#/components/schemas/UserInfo"}
                    - {type: "null"}
                req_id: {type: string, description: "Present when there was no match and the face is good enough to enrol"}
                enrollmentKey:
                  type: object
                  required: [req_id, expiresAt]
                  properties:
                    req_id: {type: string}
                    expiresAt: {type: string, format: date-time}
                metadata: {$ref: "#/components/schemas/Metadata"}
                requestId: {type: string}
            FaceRecognition:
              type: object
              required: [decision, user_info, similarity, box, confidence, landmarks, quality, quality_shortfalls]
              properties:
                decision: {type: string, enum: [match, no_match]}
                user_info:
                  oneOf:
                    - {$ref: "#/components/schemas/UserInfo"}
                    - {type: "null"}
                similarity: {type: [number, "null"], description: Similarity of the best candidate}
                box: {$ref: "#/components/schemas/Box"}
                confidence: {type: number}
                landmarks: {$ref: "#/components/schemas/Landmarks"}
                quality: {$ref: "#/components/schemas/Quality"}
                req_id: {type: string, description: "An unmatched face good enough to enrol: its enrollment key"}
                enrollmentKey:
                  type: object
                  required: [req_id, expiresAt]
                  properties:
                    req_id: {type: string}
                    expiresAt: {type: string, format: date-time}
                quality_shortfalls:
                  type: array
                  items: {type: string}
                  description: "Why an unmatched face gets no enrollment key: what to change; empty otherwise"
            FaceRecognitions:
              type: object
              required: [status, message, faces, metadata, requestId]
              properties:
                status: {type: string, enum: [success, failure], description: "success when any face matched"}
                message: {type: string}
                faces:
                  type: array
                  items: {$ref: "#/components/schemas/FaceRecognition"}
                metadata:
                  type: object
                  required: [faces_detected, threshold, target_far, margin, gallery_size, model, timings_ms]
                  properties:
                    faces_detected: {type: integer, description: "All faces found, also those beyond the cap"}
                    threshold: {type: number}
                    target_far: {type: [number, "null"]}
                    margin: {type: number}
                    gallery_size: {type: integer}
                    model: {$ref: "#/components/schemas/Model"}
                    timings_ms:
                      type: object
                      additionalProperties: {type: number}
                requestId: {type: string}
            NewUserByKey:
              type: object
              required: [name, birthdate, req_id]
              properties:
                name: {$ref: "#/components/schemas/Name"}
                birthdate: {$ref: "#/components/schemas/Birthdate"}
                email:
                  anyOf:
                    - {$ref: "#/components/schemas/Email"}
                    - {type: "null", description: "the same as leaving it out"}
                req_id: {$ref: "#/components/schemas/EnrollmentKey"}
            UserCreated:
              type: object
              required: [status, message, user_id, requestId]
              properties:
                status: {type: string, const: success}
                message: {type: string}
                user_id: {type: string}
                requestId: {type: string}
            FaceAdded:
              type: object
              required: [status, message, user_id, faces, requestId]
              properties:
                status: {type: string, const: success}
                message: {type: string}
                user_id: {type: string}
                faces: {type: integer}
                requestId: {type: string}
            Model:
              type: object
              required: [name, version]
              properties:
                name: {type: string}
                version: {type: string}
            Verification:
              type: object
              required: [status, verified, message, user_id, similarity, threshold, faces_detected, box, quality,
                         model, timings_ms, requestId]
              properties:
                status: {type: string, const: success}
                verified: {type: boolean, description: "similarity >= threshold"}
                message: {type: string, enum: [Same person, Different person]}
                user_id: {type: string}
                similarity: {type: number, description: "Best cosine similarity to the user's faces, -1 to 1"}
                threshold: {type: number, description: "The model's calibrated 1:1 threshold"}
                faces_detected: {type: integer}
                box: {$ref: "#/components/schemas/Box"}
                quality: {$ref: "#/components/schemas/Quality"}
                model: {$ref: "#/components/schemas/Model"}
                timings_ms: {type: object, additionalProperties: {type: number}}
                requestId: {type: string}
            UserDetails:
              type: object
              required: [status, user, requestId]
              properties:
                status: {type: string, const: success}
                user:
                  type: object
                  required: [id, name, birthdate, email, faces, created_at]
                  properties:
                    id: {type: string}
                    name: {type: string}
                    birthdate: {type: string, format: date}
                    email: {type: [string, "null"]}
                    faces: {type: integer}
                    created_at: {type: string, format: date-time}
                requestId: {type: string}
            UserDeleted:
              type: object
              required: [status, message, user_id, requestId]
              properties:
                status: {type: string, const: success}
                message: {type: string}
                user_id: {type: string}
                requestId: {type: string}
            Readiness:
              type: object
              required: [status, components, not_ready]
              properties:
                status: {type: string, enum: [ready, not_ready]}
                components:
                  type: object
                  additionalProperties:
                    type: object
                    required: [ready]
                    properties:
                      ready: {type: boolean}
                      version: {type: string}
                      error: {type: string}
                not_ready: {type: array, items: {type: string}}
        """#
}
