import FaceMatrixServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The try-it page is served from the resource bundle, never from outside its folder, and never hides the API.
@Suite struct TryItPageTests {
    @Test func thePageAndItsAssetsAreServedFromTheBundle() async throws {
        let directory = try #require(TryItPage.directory(environment: [:]), "the resource bundle beside the runner")
        let app = Application(router: buildRouter(checks: [], webDirectory: directory))
        try await app.test(.router) { client in
            for (uri, type, marker) in [
                ("/", "text/html", "<!doctype html>"), ("/app.js", "javascript", "start()"),
                ("/recognition.js", "javascript", "/api/v1/recognise_user"),
                ("/style.css", "text/css", "{"),
            ] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok, "\(uri)")
                    #expect(response.headers[.contentType]?.contains(type) == true, "\(uri)")
                    #expect(response.headers[.cacheControl] == "no-cache", "\(uri)")
                    #expect(String(buffer: response.body).lowercased().contains(marker.lowercased()), "\(uri)")
                }
            }
            // Nothing outside the folder, and unknown paths keep the JSON error contract.
            for uri in ["/../Package.swift", "/%2e%2e/Package.swift", "/missing.html"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .badRequest || response.status == .notFound, "\(uri)")
                    #expect(!String(buffer: response.body).contains("swift-tools-version"), "\(uri)")
                }
            }
            try await client.execute(uri: "/health/live", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func anOperatorsFolderWinsAndAFolderWithoutIndexIsIgnored() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tryit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(TryItPage.directory(environment: ["FACEMATRIX_WEB_DIR": folder.path]) == nil)
        try Data("<!doctype html>".utf8).write(to: folder.appendingPathComponent("index.html"))
        #expect(TryItPage.directory(environment: ["FACEMATRIX_WEB_DIR": folder.path]) == folder.path)
    }
}
