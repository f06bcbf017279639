import AdminAPI
import ArgumentParser
import Auth
import BlockingWork
import Foundation
import Logging
import Passwords
import Postgres
import Prefork
import SharedMetrics

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP API: a master that owns the port and supervises forked workers.")

    @Option(help: "Address to listen on (env HOST, default 0.0.0.0).") var host: String?
    @Option(help: "Port to listen on (env PORT, default 9000).") var port: Int?
    @Option(help: "HTTP worker processes (env HTTP_WORKERS, default: number of cores).") var workers: Int?

    /// Synchronous on purpose: the master must fork before any thread exists.
    func run() throws {
        let environment = Environment()
        let settings = ServeSettings(environment: environment, host: host, port: port, workers: workers)
        LineLogHandler.bootstrap(environment)
        // Made before the first fork and inherited by every worker; removed on every way out of run() (the
        // defer runs for a stop by signal and for a failed start; workers leave by exit(), never through it).
        let machineHashing: MachineHashingBound
        do {
            machineHashing = try MachineHashingBound(slots: ProcessInfo.processInfo.activeProcessorCount)
        } catch {
            fail("\(error)")
        }
        defer { machineHashing.remove() }
        // The id is what an operator needs to remove the set after a SIGKILL of the master (ipcrm -s).
        Logger(label: "clientele.serve").info(
            "hashing bound",
            metadata: ["semaphore_set": "\(machineHashing.semaphoreSet)", "slots": "\(machineHashing.slots)"])
        // Mapped before the first fork: every worker writes its own row, any worker can sum them all.
        let metrics = SharedMetricsRegion(
            rows: Scoreboard.capacity, counters: HTTPMetrics.counterCount, gauges: HTTPMetrics.gaugeCount)
        var prefork = settings.prefork
        prefork.onWorkerExit = { index in metrics.retire(index) }
        let master = Master(
            configuration: prefork, logger: Logger(label: "clientele.serve"),
            workerMain: { context in
                Self.runWorker(
                    context, settings: settings, metrics: HTTPMetrics(region: metrics, row: context.index),
                    machineHashing: machineHashing)
            })
        throw ExitCode(master.run())
    }

    /// Runs in each forked worker: everything with threads is created here, after fork.
    static func runWorker(
        _ context: WorkerContext, settings: ServeSettings, metrics: HTTPMetrics, machineHashing: MachineHashingBound
    ) -> Int32 {
        LogOutput.shared.startBuffering()
        var logger = Logger(label: "clientele.http")
        logger[metadataKey: "pid"] = "\(getpid())"
        // The worker's one pool for blocking calls (machineHashing keeps all the workers' hashes to the cores'
        // worth).
        let blocking = BlockingPool.forServeWorker(
            leasedConnections: settings.database.pool.leasedConnections, workers: settings.prefork.workers,
            machineHashing: machineHashing)
        let database = Database(
            options: settings.database.options(applicationName: "clientele-serve/\(getpid())"),
            configuration: settings.database.pool, blocking: blocking)
        let server = WorkerServer(context: context, settings: settings.http, logger: logger)
        let dependencies = AdminAPIDependencies(
            database: database, logger: logger, maxBodySize: settings.maxBodySize,
            passwordHasher: settings.passwordHasher, auth: AuthService(database: database, configuration: settings.auth),
            listCursorSecret: settings.auth.jwtSecret, secureCookies: settings.secureCookies,
            adminCORS: settings.adminCORS, metrics: metrics,
            credentialCacheTTL: Double(settings.credentialCacheTTL), debugRoutes: settings.debugRoutes,
            importMaxBytes: settings.importMaxBytes)
        return server.run(
            makeResponder: { _ in AdminApplication.makeResponder(dependencies) },
            onStop: {
                database.shutdown()
                blocking.shutdown()
            })
    }
}

/// Everything `serve` reads from the environment, checked at start.
struct ServeSettings: Sendable {
    let prefork: PreforkConfiguration
    let http: HTTPSettings
    let database: DatabaseSettings
    let maxBodySize: Int
    let debugRoutes: Bool
    let passwordHasher: PasswordHasher
    let auth: AuthConfiguration
    let secureCookies: Bool
    let adminCORS: Set<String>
    let credentialCacheTTL: Int
    let importMaxBytes: Int

    init(environment: Environment, host: String?, port: Int?, workers: Int?) {
        database = DatabaseSettings(environment)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let workerCount = workers ?? environment.int(.httpWorkers, default: cores, range: 1...64)
        guard (1...64).contains(workerCount) else { fail("--workers must be in 1...64") }
        prefork = PreforkConfiguration(
            host: host ?? environment.string(.host) ?? "0.0.0.0",
            port: port ?? environment.int(.port, default: 9000, range: 0...65535),
            workers: workerCount,
            gracefulTimeout: environment.gracefulTimeout,
            workerTimeout: environment.int(.workerTimeout, default: 30, range: 1...3600),
            maxRequests: environment.int(.maxRequests, default: 0),
            maxRequestsJitter: environment.int(.maxRequestsJitter, default: 0),
            sessionNice: environment.int(.sessionNice, default: 10, range: 0...19))
        var http = HTTPSettings()
        http.idleTimeout = environment.int(.keepaliveTimeout, default: 30, range: 1...3600)
        self.http = http
        maxBodySize = environment.int(.maxBodySize, default: 1_048_576, range: 1...1_073_741_824)
        importMaxBytes = environment.int(.importMaxBytes, default: 100 * 1_048_576, range: 1...1_073_741_824)
        debugRoutes = environment.bool(.debugRoutes, default: false)
        passwordHasher = PasswordHasherSetting.read(environment)
        do {
            auth = try AuthConfiguration(
                jwtSecret: environment.requiredSecret(.jwtSecret),
                sessionTTL: environment.int(.sessionTTL, default: 36_000, range: 1...31_536_000),
                loginMaxFailures: environment.int(.loginMaxFailures, default: 10, range: 1...Int.max),
                loginMaxFailuresPerAddress: environment.int(.loginMaxFailuresPerAddress, default: 100, range: 1...Int.max),
                passwordHasher: passwordHasher)
        } catch {
            fail("\(error)")
        }
        secureCookies = environment.bool(.cookieSecure, default: false)
        credentialCacheTTL = environment.int(.authCacheTTL, default: 1, range: 0...60)
        adminCORS = Set((environment.string(.adminCORS) ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty })
    }
}
