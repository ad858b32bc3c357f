import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
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
                additionalChannelHandlers: [ExpectContinueHandler()], idleTimeout: TimeAmount(idleTimeout)))
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
