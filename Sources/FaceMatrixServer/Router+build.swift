import FaceMatrixCore
public import FaceMatrixHTTP
import FacePipeline
import FaceStore
public import Hummingbird
public import ImageDecoding
import Logging
public import Prometheus
public import Recognition
import ServiceLifecycle

/// The largest request body accepted, in bytes: the image limit plus a mebibyte for the other fields and the multipart
/// framing.
public func uploadLimit(for limits: ImageLimits) -> Int {
    limits.maxBytes + 1_048_576
}

/// The router with every route and middleware, and the try-it page at `/` when `webDirectory` is given; separate from
/// `buildApplication` so tests can drive it directly.
///
/// Middleware runs in this order: request id, metrics, errors (the JSON contract), API keys, static files.
///
/// - Parameters:
///   - checks: what `GET /health/ready` probes.
///   - service: the recognition API; nil serves health and the document only.
///   - metrics: served at `/metrics`; nil when a port of their own serves them, or nothing does.
///   - uploadLimit: the largest body, in bytes; beyond it 413.
///   - bodyDeadline: the longest a body may take to arrive; beyond it 400/605.
///   - webDirectory: the try-it page's folder; nil serves no page.
///   - authenticator: checks API keys under `/api/`; nil leaves the API open.
public func buildRouter(
    checks: [ReadinessCheck],
    service: RecognitionService? = nil,
    metrics: PrometheusCollectorRegistry? = nil,
    uploadLimit: Int = uploadLimit(for: ImageLimits()),
    bodyDeadline: Duration = RequestFields.bodyDeadline,
    webDirectory: String? = nil,
    authenticator: APIKeyAuthenticator? = nil
) -> Router<AppRequestContext> {
    // HEAD answers wherever GET does, with GET's headers and no body (RFC 9110 §9.3.2).
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    let routes = RouteTable()
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ErrorMiddleware(routes: routes))
    if let authenticator {
        router.add(middleware: APIKeyMiddleware(authenticator: authenticator))
    }
    if let webDirectory {
        // Asked only when no route matched (GET or HEAD); `..` is refused, so nothing outside the folder is served.
        router.add(
            middleware: FileMiddleware(
                webDirectory,
                cacheControl: .init([(MediaType(type: .any), [.noCache])]),
                searchForIndexHtml: true
            )
        )
    }
    HealthRoutes(checks: checks).register(on: router)
    router.get("/openapi.yaml") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "application/yaml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml))
        )
    }
    if let metrics {
        router.get("/metrics") { _, _ in metricsResponse(metrics) }
    }
    if let service {
        RecognitionRoutes(service: service, uploadLimit: uploadLimit, bodyDeadline: bodyDeadline).register(on: router)
    }
    routes.record(router)
    return router
}

/// Prometheus' text exposition of `metrics`.
func metricsResponse(_ metrics: PrometheusCollectorRegistry) -> Response {
    Response(
        status: .ok,
        headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer()))
    )
}

/// `/metrics` alone, for `FACEMATRIX_METRICS_PORT`.
func buildMetricsRouter(_ metrics: PrometheusCollectorRegistry) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.get("/metrics") { _, _ in metricsResponse(metrics) }
    return router
}
