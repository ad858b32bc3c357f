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
            router: router, server: HTTPConnectionHandling.server(idleTimeout: idleTimeout),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in try await body(client.port ?? 0) }
    }

    @Test func expectContinueIsAnsweredBeforeTheBodyIsSent() async throws {
        try await withServer(idleTimeout: .seconds(30)) { port in
            let socket = try RawConnection(port: port)
            try socket.send(
                "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            let interim = try await socket.receive(waiting: .seconds(5))
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n"), "\(interim)")
            try socket.send("hello")
            let final = try await socket.receive(waiting: .seconds(5))
            #expect(final.hasPrefix("HTTP/1.1 200"), "\(final)")
            #expect(final.hasSuffix("\r\n\r\n5"), "\(final)")
        }
    }

    @Test func aClientThatStallsMidRequestIsDisconnected() async throws {
        try await withServer(idleTimeout: .milliseconds(500)) { port in
            // Headers promise 1,000 bytes, three arrive, then nothing.
            let socket = try RawConnection(port: port)
            try socket.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
            let started = ContinuousClock.now
            let answer = try await socket.receive(waiting: .seconds(10))
            #expect(answer.isEmpty, "the server answered instead of closing: \(answer)")
            #expect(socket.isClosedByPeer)
            #expect(ContinuousClock.now - started < .seconds(10))

            // A connection that sends a whole request in time is served as usual.
            let prompt = try RawConnection(port: port)
            try prompt.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
            #expect(try await prompt.receive(waiting: .seconds(5)).hasPrefix("HTTP/1.1 200"))
        }
    }

    /// A body that trickles in (each byte resets the idle timer) is cut off at its deadline.
    @Test func aTricklingUploadIsCutOffAtTheBodyDeadline() async throws {
        try await withServer(idleTimeout: .seconds(30)) { port in
            let socket = try RawConnection(port: port)
            try socket.send("POST /deadline HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
            var answer = ""
            for _ in 0..<30 where answer.isEmpty {
                try? socket.send("a")
                answer = try await socket.receive(waiting: .milliseconds(100))
            }
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
            let answer = try await socket.receive(waiting: .seconds(5))
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

    /// What arrives until the peer pauses for 200 ms after sending something, closes, or `waiting` passes.
    /// Polls without blocking and sleeps in between: a blocked thread of the (two-thread) cooperative pool would
    /// starve the server under test.
    func receive(waiting: Duration) async throws -> String {
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + waiting
        var lastArrival = ContinuousClock.now
        while ContinuousClock.now < deadline {
            var descriptors = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            if poll(&descriptors, 1, 0) == 0 {
                if !received.isEmpty && ContinuousClock.now - lastArrival > .milliseconds(200) { break }
                try await Task.sleep(for: .milliseconds(10))
                continue
            }
            lastArrival = ContinuousClock.now
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 {
                isClosedByPeer = true
                break
            }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}
