import FaceMatrixCore
import FaceMatrixHTTP
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// How the HTTP/1.1 server treats connections, beyond Hummingbird's defaults.
enum HTTPConnectionHandling {
    /// A connection on which nothing arrives for this long is closed, also in the middle of a request's headers
    /// or body: a client that stalls (or trickles its upload, the "slowloris" attack) cannot hold a connection
    /// for ever. Long enough for a phone on a poor network to send the next packet of a 10 MB photo.
    static let idleTimeout: Duration = .seconds(30)

    static func server(idleTimeout: Duration = idleTimeout) -> HTTPServerBuilder {
        .http1(
            configuration: .init(
                additionalChannelHandlers: [ExpectContinueHandler(), MalformedRequestResponder()],
                idleTimeout: TimeAmount(idleTimeout)
            )
        )
    }
}

/// Answers `Expect: 100-continue` (RFC 9110 §10.1.1) with `100 Continue`, so that a client that asks before
/// sending a large body (curl does from 1 MB on) sends it at once instead of waiting a second for an answer
/// that Hummingbird would never give. Whether the request is then accepted is decided after the body, as for
/// every other request.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data),
            head.headerFields[.expect]?.lowercased() == "100-continue"
        {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(data)
    }
}

/// Answers a request NIO's HTTP parser cannot read (a header section over its limit, a malformed or doubled
/// Content-Length, Content-Length with Transfer-Encoding, bytes that are not HTTP) in the API's error contract:
/// 400/605 as JSON with an `X-Request-ID`, then closes the connection. Hummingbird's own answer would be a bare
/// 400 without a body. Only between requests: once a request is being answered, its handler owns the response.
final class MalformedRequestResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var requestInFlight = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { requestInFlight = true }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { requestInFlight = false }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, !requestInFlight else {
            context.fireErrorCaught(error)
            return
        }
        let requestID = RequestID.fresh()
        let failure = FaceMatrixError.validationFailed(
            field: "request",
            reason: "not a readable HTTP/1.1 request (\(Self.describe(parserError)))"
        )
        let encoded: [UInt8] = (try? jsonBytes(ErrorBody(failure, requestID: requestID))) ?? Array("{}".utf8)
        var buffer = context.channel.allocator.buffer(capacity: encoded.count)
        buffer.writeBytes(encoded)
        var fields = HTTPFields()
        fields[.contentType] = jsonContentType
        fields[.contentLength] = String(encoded.count)
        fields[.connection] = "close"
        fields[.requestID] = requestID
        context.write(
            wrapOutboundOut(.head(HTTPResponse(status: .init(code: failure.httpStatus), headerFields: fields))),
            promise: nil
        )
        context.write(wrapOutboundOut(.body(buffer)), promise: nil)
        // Closed once the answer is on the wire; a close with writes pending would drop them.
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        written.futureResult.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
    }

    static func describe(_ error: HTTPParserError) -> String {
        switch error {
        case .headerOverflow: "the header section is too large"
        case .invalidContentLength, .unexpectedContentLength: "a malformed or conflicting Content-Length"
        case .invalidChunkSize: "a malformed chunk size"
        default: "malformed HTTP"
        }
    }
}
