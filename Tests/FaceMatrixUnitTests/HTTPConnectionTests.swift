import FaceMatrixCore
import FaceMatrixHTTP
import Foundation
import Glibc
import Hummingbird
import HummingbirdTesting
import Testing

@testable import FaceMatrixServer

/// The server's connection handling, over a real socket: what an HTTP client library would hide.
@Suite struct HTTPConnectionTests {
    /// A server with the service's connection handling and one echoing route.
    func withServer(idleTimeout: Duration, _ body: @Sendable (Int) async throws -> Void) async throws {
        let router = Router()
        router.post("/echo") { request, _ -> String in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            return "\(bytes.readableBytes)"
        }
        // The service's body reading, with a deadline short enough for a test.
        router.post("/deadline") { request, _ -> String in
            do {
                let bytes = try await RequestFields.collect(request, byteLimit: 1 << 20, deadline: .milliseconds(600))
                return "\(bytes.readableBytes)"
            } catch FaceMatrixError.validationFailed(field: "body", let reason) {
                return "refused: \(reason)"
            }
        }
        let app = Application(
            router: router,
            server: HTTPConnectionHandling.server(idleTimeout: idleTimeout),
            configuration: .init(address: .hostname("127.0.0.1", port: 0))
        )
        try await app.test(.live) { client in try await body(client.port ?? 0) }
    }

    @Test func expectContinueIsAnsweredBeforeTheBodyIsSent() async throws {
        try await withServer(idleTimeout: .seconds(30)) { port in
            let socket = try RawConnection(port: port)
            try socket.send(
                "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
            )
            let interim = try await socket.receiveResponse()
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n"), "\(interim)")
            try socket.send("hello")
            let final = try await socket.receiveResponse()
            #expect(final.hasPrefix("HTTP/1.1 200"), "\(final)")
            #expect(final.hasSuffix("\r\n\r\n5"), "\(final)")
        }
    }

    @Test func aClientThatStallsMidRequestIsDisconnected() async throws {
        try await withServer(idleTimeout: .milliseconds(500)) { port in
            // Headers promise 1,000 bytes, three arrive, then nothing.
            let socket = try RawConnection(port: port)
            try socket.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
            let answer = try await socket.receiveResponse()
            #expect(answer.isEmpty, "the server answered instead of closing: \(answer)")
            #expect(socket.isClosedByPeer)

            // A connection that sends a whole request in time is served as usual.
            let prompt = try RawConnection(port: port)
            try prompt.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
            #expect(try await prompt.receiveResponse().hasPrefix("HTTP/1.1 200"))
        }
    }

    /// A body that trickles in (each byte resets the idle timer) is cut off at its deadline with 400/605, on the
    /// real routes: recognition (multipart, where a malformed body is 602) and enrollment (JSON).
    @Test(arguments: [
        ("/api/v1/recognise_user", "multipart/form-data; boundary=b"), ("/api/v1/add_user", "application/json"),
    ])
    func aTricklingUploadIsCutOffAtTheBodyDeadline(path: String, contentType: String) async throws {
        let router = RequestParsingTests.router(bodyDeadline: .milliseconds(600))
        let app = Application(
            router: router,
            server: HTTPConnectionHandling.server(idleTimeout: .seconds(30)),
            configuration: .init(address: .hostname("127.0.0.1", port: 0))
        )
        try await app.test(.live) { client in
            let socket = try RawConnection(port: client.port ?? 0)
            try socket.send(
                "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: \(contentType)\r\nContent-Length: 1000\r\n\r\n"
            )
            // A byte every 100 ms (far more often than the idle timeout) until the server answers.
            for _ in 0..<600 where !socket.hasData() {
                try? socket.send("a")
                try await Task.sleep(for: .milliseconds(100))
            }
            let answer = try await socket.receiveResponse()
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
            #expect(answer.contains(#""error_code":605"#), "\(answer)")
            #expect(answer.contains("the body did not arrive within"), "\(answer)")
        }
    }

    /// The service's body reading on its own, with a deadline short enough for a test.
    @Test func theBodyDeadlineAppliesToTheBodyReader() async throws {
        try await withServer(idleTimeout: .seconds(30)) { port in
            let socket = try RawConnection(port: port)
            try socket.send("POST /deadline HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
            // A byte every 100 ms (far more often than the idle timeout) until the server answers.
            for _ in 0..<600 where !socket.hasData() {
                try? socket.send("a")
                try await Task.sleep(for: .milliseconds(100))
            }
            let answer = try await socket.receiveResponse()
            #expect(answer.contains("refused: the body did not arrive within"), "\(answer)")
        }
    }

    /// What NIO's parser cannot read is answered in the error contract (JSON, 400/605, X-Request-ID) and the
    /// connection closed; Hummingbird alone answers a bare 400.
    @Test(arguments: [
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc",
        "GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 200_000))\r\n\r\n",
        "\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\u{03}\u{03}",
    ])
    func anUnreadableRequestGetsTheErrorContract(request: String) async throws {
        try await withServer(idleTimeout: .seconds(30)) { port in
            let socket = try RawConnection(port: port)
            try? socket.send(request)
            let answer = try await socket.receiveResponse()
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(200))")
            #expect(answer.lowercased().contains("x-request-id: "), "\(answer.prefix(300))")
            #expect(answer.contains(#""error_code":605"#) && answer.contains("not a readable HTTP/1.1 request"))
        }
    }
}

/// A blocking TCP connection to localhost, enough to speak HTTP/1.1 by hand.
final class RawConnection {
    private let descriptor: Int32
    private(set) var isClosedByPeer = false

    struct Failure: Error { let what: String }

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(what: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Failure(what: "connect") }
    }

    deinit { close(descriptor) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
            throw Failure(what: "send")
        }
    }

    /// One whole HTTP response: its head, and as many body bytes as its Content-Length says; or what came
    /// before the peer closed or `waiting` passed. The whole suite runs beside this test on two cores, so the
    /// wait is generous and nothing depends on timing between the parts.
    func receiveResponse(waiting: Duration = .seconds(60)) async throws -> String {
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + waiting
        while ContinuousClock.now < deadline && !Self.isCompleteResponse(received) {
            var descriptors = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            if poll(&descriptors, 1, 0) == 0 {
                try await Task.sleep(for: .milliseconds(10))
                continue
            }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 {
                isClosedByPeer = true
                break
            }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    static func isCompleteResponse(_ bytes: [UInt8]) -> Bool {
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return false }
        let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).lowercased()
        let length =
            head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        return bytes.count - end.upperBound >= length
    }

    /// Whether something (or the peer's close) is waiting to be read.
    func hasData() -> Bool {
        var descriptors = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&descriptors, 1, 0) > 0
    }
}
