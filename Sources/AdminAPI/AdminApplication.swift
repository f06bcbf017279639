import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import AdminPage
import Auth
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
        self.passwordHashing = PasswordHashing(hasher: passwordHasher)
        self.logger = logger
        self.maxBodySize = maxBodySize
        self.debugRoutes = debugRoutes
    }
}

/// Builds the admin API: the router with every route, behind the request lifecycle middleware.
public enum AdminApplication {
    public static func makeRouter(_ dependencies: AdminAPIDependencies) -> Router<AdminContext> {
        let router = Router(context: AdminContext.self)
        let routes = RouteTable()
        ListCursor.configure(secret: dependencies.listCursorSecret)
        router.middlewares.add(
            RequestLifecycleMiddleware(
                logger: dependencies.logger, routes: routes, date: HTTPDate(), maxBodySize: dependencies.maxBodySize,
                metrics: dependencies.metrics, database: dependencies.database))
        if !dependencies.adminCORS.isEmpty {
            router.middlewares.add(AdminCORSMiddleware(allowedOrigins: dependencies.adminCORS))
        }
        router.middlewares.add(
            AuthenticationMiddleware(auth: dependencies.auth, cache: CredentialCache(ttl: dependencies.credentialCacheTTL)))
        ServiceRoutes(database: dependencies.database, metrics: dependencies.metrics).register(on: router, table: routes)
        AuthRoutes(
            auth: dependencies.auth, cookie: SessionCookie(secure: dependencies.secureCookies),
            maxBodySize: dependencies.maxBodySize
        ).register(on: router, table: routes)
        let customers = CustomerRepository(database: dependencies.database)
        // Before the customer routes: their `/admin/customers/:id` would also match these paths in the route
        // table that numbers routes for the metrics (the router itself prefers the constant segment).
        CustomerExportRoutes(database: dependencies.database).register(on: router, table: routes)
        CustomerImportRoutes(
            imports: CustomerImportRepository(database: dependencies.database), database: dependencies.database,
            maxBytes: dependencies.importMaxBytes
        ).register(on: router, table: routes)
        let customerRoutes = CustomerRoutes(
            customers: customers, hasher: dependencies.passwordHashing, maxBodySize: dependencies.maxBodySize)
        customerRoutes.register(on: router, table: routes)
        AddressRoutes(
            addresses: AddressRepository(database: dependencies.database), maxBodySize: dependencies.maxBodySize
        ).register(on: router, table: routes)
        CustomerGroupRoutes(
            groups: CustomerGroupRepository(database: dependencies.database),
            customers: customers, maxBodySize: dependencies.maxBodySize
        ).register(on: router, table: routes)
        OperationsRoutes(inspection: QueueInspection(database: dependencies.database)).register(on: router, table: routes)
        AdminPageRoutes(bundle: adminPage).register(on: router, table: routes)
        if dependencies.debugRoutes {
            DebugRoutes(customers: customerRoutes, database: dependencies.database).register(on: router, table: routes)
        }
        return router
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
        let responder = makeRouter(dependencies).buildResponder()
        let logger = dependencies.logger
        return { request, writer, channel in
            let context = AdminContext(source: .init(channel: channel, logger: logger))
            let response = try await responder.respond(to: request, context: context)
            try await writer.write(response: response.head, body: response.body)
        }
    }
}
