import ArgumentParser
import BlockingWork
import CustomerImports
import Customers
import Dispatch
import Foundation
import Jobs
import Logging
import Mail
import Passwords
import Postgres

struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run queued jobs (welcome emails, …) until TERM or INT; then finish or hand back running jobs.")

    @Option(help: "Jobs run at once (env WORKER_CONCURRENCY, default 16).")
    var concurrency: Int?

    @Flag(help: "Health check: exit 0 if the worker's WORKER_HEARTBEAT_FILE is younger than --max-age seconds, else 1. Starts nothing.")
    var check = false

    @Option(help: "With --check: the oldest heartbeat still healthy, in seconds.")
    var maxAge: Int = 30

    func run() throws {
        let environment = Environment()
        if check { checkHeartbeat(environment) }
        if let concurrency, !(1...1000).contains(concurrency) { fail("--concurrency must be in 1...1000, got \(concurrency)") }
        let settings = WorkerSettings(environment, concurrency: concurrency)
        LineLogHandler.bootstrap(environment)
        var logger = Logger(label: "clientele.worker")
        logger[metadataKey: "process"] = "worker"
        // The process's one pool for blocking calls.
        let blocking = BlockingPool.forJobWorker(
            leasedConnections: settings.database.pool.leasedConnections, concurrentJobs: settings.concurrency)
        let transport = makeTransport(settings, blocking: blocking, logger: logger)
        var handlers: JobHandlers
        do {
            handlers = .clientele(welcomeEmail: try WelcomeEmailHandler(settings: settings.welcome, transport: transport))
        } catch {
            fail("welcome email template: \(error)")
        }

        let name = JobRunnerConfiguration.defaultWorkerName
        let database = Database(
            options: settings.database.options(applicationName: "clientele-worker/\(getpid())"),
            configuration: settings.database.pool, blocking: blocking)
        // Imports live with the customers (whose SQL they write), so they are registered here, not in Jobs.
        handlers.register(
            CustomerImportHandler.kind,
            CustomerImportHandler(
                importer: CustomerImporter(
                    database: database, hashing: PasswordHashing(hasher: settings.passwordHasher, blocking: blocking),
                    batchSize: settings.importBatchSize),
                workSeconds: settings.importAttemptSeconds))
        var configuration = JobRunnerConfiguration(
            workerName: name,
            listenOptions: ConnectionOptions(url: settings.listenURL, applicationName: "clientele-worker-listen/\(getpid())"))
        configuration.concurrency = settings.concurrency
        configuration.gracefulTimeout = settings.gracefulTimeout
        configuration.jobTimeout = settings.jobTimeout
        if let path = settings.heartbeatFile {
            let heartbeat = HeartbeatFile(path: path)
            configuration.heartbeat = { heartbeat.beat() }
        }
        let runner = JobRunner(database: database, configuration: configuration, handlers: handlers, logger: logger)
        logger.info(
            "mail", metadata: ["transport": "\(transport.description)", "welcome_email": "\(settings.welcome.enabled ? "on" : "off")"])

        // TERM (systemd, Kubernetes, docker stop) and INT (Ctrl-C) both stop gracefully.
        let signalSources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                logger.info("signal received: stopping", metadata: ["signal": "\(number == SIGTERM ? "TERM" : "INT")"])
                runner.stop()
            }
            source.resume()
            return source
        }
        try runBlocking {
            await runner.run()
            database.shutdown()
            blocking.shutdown()
        }
        withExtendedLifetime(signalSources) {}
    }

    /// `worker --check`: one line on standard output and the exit status a container healthcheck wants.
    func checkHeartbeat(_ environment: Environment) -> Never {
        guard let path = environment.workerHeartbeatFile else { fail("WORKER_HEARTBEAT_FILE is required but not set") }
        guard let age = HeartbeatFile.age(of: path) else {
            CommandOutput.result(
                logger: "clientele.worker", message: "unhealthy", fields: [("heartbeat_file", path)],
                text: "worker unhealthy: no heartbeat yet at \(path)")
            Glibc.exit(1)
        }
        let healthy = age <= Double(maxAge)
        let verdict = healthy ? "healthy" : "unhealthy"
        CommandOutput.result(
            logger: "clientele.worker", message: verdict,
            fields: [("heartbeat_age_seconds", "\(Int(age))"), ("max_age_seconds", "\(maxAge)")],
            text: "worker \(verdict): last heartbeat \(Int(age)) s ago (limit \(maxAge) s)")
        Glibc.exit(healthy ? 0 : 1)
    }
}

/// Everything the worker reads from the environment, checked at start: a malformed value stops the process
/// with one line naming it.
struct WorkerSettings {
    let database: DatabaseSettings
    let listenURL: String
    /// JOB_TIMEOUT: seconds an attempt may run before its handler is cancelled.
    let jobTimeout: Double
    let concurrency: Int
    let gracefulTimeout: Double
    let transport: String
    let smtpURL: String?
    let welcome: WelcomeEmailSettings
    let heartbeatFile: String?
    let passwordHasher: PasswordHasher
    let importBatchSize: Int
    let importAttemptSeconds: Int

    init(_ environment: Environment, concurrency: Int?) {
        database = DatabaseSettings(environment)
        listenURL = environment.connectionString(.databaseListenURL) ?? database.url
        jobTimeout = Double(environment.int(.jobTimeout, default: 60, range: 1...86_400))
        self.concurrency = concurrency ?? environment.int(.workerConcurrency, default: 16, range: 1...1000)
        gracefulTimeout = Double(environment.gracefulTimeout)
        heartbeatFile = environment.workerHeartbeatFile
        passwordHasher = PasswordHasherSetting.read(environment)
        importBatchSize = environment.importBatchSize
        importAttemptSeconds = environment.int(
            .importAttemptSeconds, default: CustomerImportHandler.defaultWorkSeconds, range: 1...86_400)

        transport = environment.string(.mailTransport) ?? "log"
        guard transport == "log" || transport == "smtp" || (transport.hasPrefix("file:") && transport.count > 5) else {
            fail("MAIL_TRANSPORT must be log, smtp or file:<dir>, got \"\(transport)\"")
        }
        smtpURL = environment.string(.smtpURL)
        if transport == "smtp" && smtpURL == nil { fail("SMTP_URL is required when MAIL_TRANSPORT=smtp") }
        let from: MailAddress
        if let text = environment.string(.mailFrom) {
            guard let address = MailAddress(parsing: text) else {
                fail("MAIL_FROM must be an address or Name <address>, got \"\(text)\"")
            }
            from = address
        } else if transport == "smtp" {
            fail("MAIL_FROM is required when MAIL_TRANSPORT=smtp")
        } else {
            from = MailAddress("no-reply@localhost")!
        }
        welcome = WelcomeEmailSettings(
            enabled: environment.bool(.welcomeEmail, default: true),
            shopName: environment.string(.shopName) ?? "Clientele", from: from)
    }
}

private func makeTransport(_ settings: WorkerSettings, blocking: BlockingPool, logger: Logger) -> any MailTransport {
    switch settings.transport {
    case "smtp":
        do {
            let transport = try SMTPTransport(url: settings.smtpURL!, blocking: blocking)
            if transport.security == .none {
                logger.warning(
                    transport.sendsCredentialsInClear
                        ? "SMTP_URL has ?tls=none: the SMTP password and every message cross the network in clear; only for a local test sink"
                        : "SMTP_URL has ?tls=none: every message crosses the network in clear; only for a local test sink")
            }
            return transport
        } catch {
            fail("SMTP_URL \(error)")  // the reason never repeats the URL, which may hold a password
        }
    case "log":
        return LogTransport(logger: logger)
    default:
        do {
            return try FileTransport(directory: String(settings.transport.dropFirst("file:".count)))
        } catch {
            fail("MAIL_TRANSPORT: \(error)")
        }
    }
}
