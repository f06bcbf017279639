import Auth
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Passwords
import Postgres
import Testing
import TestSupport

@testable import AdminAPI

/// The admin API in process (HummingbirdTesting's router framework, no socket), on a migrated database of its
/// own: who the router lets in, what it counts, and what it answers for paths it does not know.
@Suite struct RoutingTests {
    static let secret = "routing-test-secret-that-is-long-enough-0123"
    static let hasher = PasswordHasher(scheme: .scrypt(logN: 10, r: 8, p: 1))

    /// Runs `body` with a client of the API and a bearer token of a live admin, then drops the database.
    static func withAPI(_ body: @escaping @Sendable (any TestClientProtocol, String) async throws -> Void) async throws {
        let testDatabase = try TestDatabase.create(prefix: "apitest", migrated: true)
        defer { testDatabase.drop() }
        let database = testDatabase.pool()
        defer { database.shutdown() }
        let auth = AuthService(
            database: database, configuration: try AuthConfiguration(jwtSecret: secret, passwordHasher: hasher))
        let user = try await UserRepository(database: database, passwordHasher: hasher)
            .create(email: "routing@example.com", password: "routing-password")
        let token = try await auth.issueAccessToken(for: user)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let dependencies = AdminAPIDependencies(
            database: database, logger: logger, maxBodySize: 1 << 20, passwordHasher: hasher, auth: auth,
            listCursorSecret: secret)
        let app = Application(responder: AdminApplication.makeHTTPResponder(dependencies), logger: logger)
        try await app.test(.router) { client in try await body(client, token) }
    }

    @Test func theAdminGroupAsksForCredentialsAndOnlyIt() async throws {
        try await Self.withAPI { client, token in
            let bearer: HTTPFields = [.authorization: "Bearer \(token)"]
            try await client.execute(uri: "/admin/customers", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "//admin//customers/", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/admin/customers", method: .get, headers: bearer) { #expect($0.status == .ok) }
            // Open routes under /admin: a login with a bad body is judged, not refused.
            try await client.execute(uri: "/admin/auth/token", method: .post, body: ByteBuffer(string: "{}")) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func anUnknownPathIs404AndAKnownPathUnderAnotherMethod405AfterCredentials() async throws {
        try await Self.withAPI { client, token in
            let bearer: HTTPFields = [.authorization: "Bearer \(token)"]
            try await client.execute(uri: "/admin/nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body) == #"{"type":"not_found","message":"Route not found"}"#)
                #expect(response.headers[.cacheControl] == "no-store")
            }
            try await client.execute(uri: "/admin/customers", method: .put) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/admin/customers", method: .put, headers: bearer) {
                #expect($0.status == .methodNotAllowed)
            }
            try await client.execute(uri: "/admin/customers", method: .options) { #expect($0.status == .methodNotAllowed) }
        }
    }

    @Test func metricsCountTheEndpointTheRouterMatched() async throws {
        try await Self.withAPI { client, token in
            let bearer: HTTPFields = [.authorization: "Bearer \(token)"]
            for uri in ["/admin/customers/export", "//admin/customers/export", "/admin/customers/cus_missing"] {
                try await client.execute(uri: uri, method: .get, headers: bearer) { _ in }
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"clientele_http_requests_total{method="GET",route="/admin/customers/export",status="200"} 2"#))
                #expect(text.contains(#"clientele_http_requests_total{method="GET",route="/admin/customers/:id",status="404"} 1"#))
            }
        }
    }
}
