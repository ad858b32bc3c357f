/// The API's OpenAPI 3.1 description, served at `GET /openapi.yaml`. A test checks every route of the router and
/// every response body the tests see against it, so it cannot drift from the code.
public enum OpenAPIDocument {
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
                        image: {type: string, format: binary, description: "JPEG, PNG, WebP or HEIF (HEIC, AVIF)"}
                        threshold: {type: string, description: "A similarity threshold within the configured range"}
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
                  content:
                    application/json:
                      schema:
                        oneOf:
                          - {$ref: "#/components/schemas/Recognition"}
                          - {$ref: "#/components/schemas/FaceRecognitions"}
                "400": {$ref: "#/components/responses/Error"}
                "413": {$ref: "#/components/responses/Error"}
                "415": {$ref: "#/components/responses/Error"}
                "503": {$ref: "#/components/responses/Error"}
                "401": {$ref: "#/components/responses/Error"}
                "403": {$ref: "#/components/responses/Error"}
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
                      properties:
                        name: {type: string}
                        birthdate: {type: string, format: date}
                        email: {type: string, format: email}
                        req_id: {type: string}
                        image: {type: string, format: binary}
              responses:
                "201":
                  description: The user was created
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/UserCreated"}
                "400": {$ref: "#/components/responses/Error"}
                "404": {$ref: "#/components/responses/Error"}
                "409": {$ref: "#/components/responses/Error"}
                "413": {$ref: "#/components/responses/Error"}
                "415": {$ref: "#/components/responses/Error"}
                "422": {$ref: "#/components/responses/Error"}
                "503": {$ref: "#/components/responses/Error"}
                "401": {$ref: "#/components/responses/Error"}
                "403": {$ref: "#/components/responses/Error"}
          /api/v1/users/{id}:
            parameters:
              - {name: id, in: path, required: true, schema: {type: string}}
            get:
              summary: A user and how many faces they have enrolled
              responses:
                "200":
                  description: The user
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/UserDetails"}
                "404": {$ref: "#/components/responses/Error"}
                "503": {$ref: "#/components/responses/Error"}
                "401": {$ref: "#/components/responses/Error"}
                "403": {$ref: "#/components/responses/Error"}
            delete:
              summary: Erase the user and every embedding of theirs
              responses:
                "200":
                  description: The user was erased
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/UserDeleted"}
                "404": {$ref: "#/components/responses/Error"}
                "503": {$ref: "#/components/responses/Error"}
                "401": {$ref: "#/components/responses/Error"}
                "403": {$ref: "#/components/responses/Error"}
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
                        image: {type: string, format: binary, description: "JPEG, PNG, WebP or HEIF (HEIC, AVIF)"}
                        user_id: {type: string, minLength: 1}
              responses:
                "200":
                  description: Same person or not, with the similarity and the 1:1 threshold used
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Verification"}
                "400": {$ref: "#/components/responses/Error"}
                "404": {$ref: "#/components/responses/Error"}
                "413": {$ref: "#/components/responses/Error"}
                "415": {$ref: "#/components/responses/Error"}
                "503": {$ref: "#/components/responses/Error"}
                "401": {$ref: "#/components/responses/Error"}
                "403": {$ref: "#/components/responses/Error"}
          /api/v1/users/{id}/faces:
            parameters:
              - {name: id, in: path, required: true, schema: {type: string}}
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
                        req_id: {type: string}
                  multipart/form-data:
                    schema:
                      type: object
                      required: [image]
                      properties:
                        image: {type: string, format: binary}
              responses:
                "201":
                  description: The face was added
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/FaceAdded"}
                "400": {$ref: "#/components/responses/Error"}
                "404": {$ref: "#/components/responses/Error"}
                "409": {$ref: "#/components/responses/Error"}
                "413": {$ref: "#/components/responses/Error"}
                "415": {$ref: "#/components/responses/Error"}
                "422": {$ref: "#/components/responses/Error"}
                "503": {$ref: "#/components/responses/Error"}
                "401": {$ref: "#/components/responses/Error"}
                "403": {$ref: "#/components/responses/Error"}
          /health/live:
            get:
              summary: The process is up
              responses:
                "200":
                  description: Alive
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
              responses:
                "200":
                  description: Ready
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Readiness"}
                "503":
                  description: Not ready; `not_ready` names what is missing
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Readiness"}
          /metrics:
            get:
              summary: Prometheus metrics
              responses:
                "200":
                  description: Metrics in the Prometheus text format
                  content:
                    text/plain: {schema: {type: string}}
          /openapi.yaml:
            get:
              summary: This document
              responses:
                "200":
                  description: OpenAPI 3.1 in YAML
                  content:
                    application/yaml: {schema: {type: string}}
        components:
          securitySchemes:
            bearer: {type: http, scheme: bearer, description: "Authorization: Bearer KEY"}
            apiKeyHeader: {type: apiKey, in: header, name: X-API-Key}
          responses:
            Error:
              description: An error, in the documented error contract
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Error"}
          schemas:
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
                name: {type: string, minLength: 1, maxLength: 200}
                birthdate: {type: string, format: date}
                email: {type: string, format: email}
                req_id: {type: string}
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
