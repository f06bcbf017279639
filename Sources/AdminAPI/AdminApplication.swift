import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import AdminPage
import Auth
import CustomerImports
import Customers
import Jobs
import Passwords
import Postgres
import SharedMetrics

/// What the routes need, built once per worker process after fork.
public struct AdminAPIDependencies: Sendable {
    public var database: Database
    public var logger: Logger
    /// Larger request bodies are answered 413.
    public var maxBodySize: Int
    /// Adds `GET /debug/sleep?ms=N` (a slow request, for tests of graceful stops). Off in production.
    public var debugRoutes: Bool
    public var passwordHashing: PasswordHashing
    public var auth: AuthService
    public var secureCookies: Bool
    /// Origins of the admin UI allowed by CORS (ADMIN_CORS).
    public var adminCORS: Set<String>
    /// Where this process counts requests; under `serve`, a row of memory shared by all workers.
    public var metrics: HTTPMetrics
    /// Seconds a bearer or API token's user is remembered (AUTH_CACHE_TTL; 0: looked up every request).
    public var credentialCacheTTL: Double
    /// What the customer lists' cursors are signed with (a key derived from it): JWT_SECRET under `serve`,
    /// the same in every worker and instance.
    public var listCursorSecret: String
    /// IMPORT_MAX_BYTES: the largest CSV file `POST /admin/customers/imports` takes (413 beyond).
    public var importMaxBytes: Int

    public init(
        database: Database, logger: Logger, maxBodySize: Int, passwordHasher: PasswordHasher, auth: AuthService,
        listCursorSecret: String, secureCookies: Bool = false, adminCORS: Set<String> = [], metrics: HTTPMetrics = .standalone(),
        credentialCacheTTL: Double = 1, debugRoutes: Bool = false, importMaxBytes: Int = 100 * 1024 * 1024
    ) {
        self.importMaxBytes = importMaxBytes
        self.credentialCacheTTL = credentialCacheTTL
        self.listCursorSecret = listCursorSecret
        self.metrics = metrics
        self.database = database
        self.auth = auth
        self.secureCookies = secureCookies
        self.adminCORS = adminCORS
        self.passwordHashing = PasswordHashing(hasher: passwordHasher, blocking: database.blocking)
        self.logger = logger
        self.maxBodySize = maxBodySize
        self.debugRoutes = debugRoutes
    }
}

/// Builds the admin API: the router with every route, each in its group (RouteRegistry), wrapped by the
/// request lifecycle.
public enum AdminApplication {
    /// The router and the list of its routes.
    static func makeRouter(_ dependencies: AdminAPIDependencies) -> (Router<AdminContext>, Endpoints) {
        let router = Router(context: AdminContext.self)
        ListCursor.configure(secret: dependencies.listCursorSecret)
        // Middleware of the router runs for every route registered after it, and for the router's 404.
        router.middlewares.add(APIErrorMiddleware(logger: dependencies.logger, maxBodySize: dependencies.maxBodySize))
        if !dependencies.adminCORS.isEmpty {
            router.middlewares.add(AdminCORSMiddleware(allowedOrigins: dependencies.adminCORS))
        }
        var routes = RouteRegistry(
            router: router,
            authentication: AuthenticationMiddleware(
                auth: dependencies.auth, cache: CredentialCache(ttl: dependencies.credentialCacheTTL)),
            bodyLimit: dependencies.maxBodySize)
        ServiceRoutes(database: dependencies.database, metrics: dependencies.metrics).register(on: &routes)
        AuthRoutes(
            auth: dependencies.auth, cookie: SessionCookie(secure: dependencies.secureCookies),
            maxBodySize: dependencies.maxBodySize
        ).register(on: &routes)
        let customers = CustomerRepository(database: dependencies.database, events: JobQueue.events())
        CustomerExportRoutes(database: dependencies.database).register(on: &routes)
        CustomerImportRoutes(
            imports: CustomerImportRepository(database: dependencies.database), database: dependencies.database,
            maxBytes: dependencies.importMaxBytes
        ).register(on: &routes)
        let customerRoutes = CustomerRoutes(
            customers: customers, hasher: dependencies.passwordHashing, maxBodySize: dependencies.maxBodySize)
        customerRoutes.register(on: &routes)
        AddressRoutes(
            addresses: AddressRepository(database: dependencies.database), maxBodySize: dependencies.maxBodySize
        ).register(on: &routes)
        CustomerGroupRoutes(
            groups: CustomerGroupRepository(database: dependencies.database),
            customers: customers, maxBodySize: dependencies.maxBodySize
        ).register(on: &routes)
        OperationsRoutes(inspection: QueueInspection(database: dependencies.database)).register(on: &routes)
        AdminPageRoutes(bundle: adminPage).register(on: &routes)
        if dependencies.debugRoutes {
            DebugRoutes(customers: customerRoutes, database: dependencies.database).register(on: &routes)
        }
        routes.addNotAllowedAnswers()
        return (router, routes.endpoints())
    }

    /// The whole API as one responder: the request lifecycle around the router.
    public static func makeHTTPResponder(_ dependencies: AdminAPIDependencies) -> some HTTPResponder<AdminContext> {
        let (router, endpoints) = makeRouter(dependencies)
        return AdminResponder(
            router: router.buildResponder(),
            lifecycle: RequestLifecycle(
                logger: dependencies.logger, endpoints: endpoints, date: HTTPDate(), metrics: dependencies.metrics,
                database: dependencies.database))
    }

    /// The admin page compiled into the binary, with its hashes computed once per process. Its files are
    /// fixed at build time, so a failure here is a build defect, caught by Tests/AdminPageTests.
    static let adminPage: AdminPageBundle = {
        do {
            return try AdminPageBundle.compiledIn()
        } catch {
            fatalError("the admin page compiled into this binary is broken: \(error)")
        }
    }()

    /// The responder a worker's HTTP server runs for each request.
    public static func makeResponder(_ dependencies: AdminAPIDependencies) -> HTTPChannelHandler.Responder {
        let responder = makeHTTPResponder(dependencies)
        let logger = dependencies.logger
        return { request, writer, channel in
            let context = AdminContext(source: .init(channel: channel, logger: logger))
            let response = try await responder.respond(to: request, context: context)
            try await writer.write(response: response.head, body: response.body)
        }
    }
}

/// The request lifecycle around the router's responder.
struct AdminResponder<Router: HTTPResponder<AdminContext>>: HTTPResponder {
    let router: Router
    let lifecycle: RequestLifecycle

    func respond(to request: Request, context: AdminContext) async throws -> Response {
        try await lifecycle.respond(to: request, context: context, next: router)
    }
}
