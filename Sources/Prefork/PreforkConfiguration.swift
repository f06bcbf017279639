/// How the master runs its workers.
public struct PreforkConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var workers: Int
    /// Seconds a worker may take to finish its requests after TERM before it is killed.
    public var gracefulTimeout: Int
    /// Seconds without a heartbeat after which a worker is killed and replaced.
    public var workerTimeout: Int
    /// A worker is replaced after about this many requests (0: never); each worker adds up to
    /// `maxRequestsJitter` at random so that they do not all restart at once.
    public var maxRequests: Int
    public var maxRequestsJitter: Int
    /// Nice value (1...19) of the scheduler autogroup of serve's session, when serve leads its session, so
    /// that a database on the same machine is not starved (`SchedulingGroup`); 0 changes nothing.
    public var sessionNice: Int
    /// Called in the master when a worker has exited, with the worker's index (see `WorkerContext.index`),
    /// before the index is given to another worker.
    public var onWorkerExit: (@Sendable (Int) -> Void)?

    public init(
        host: String, port: Int, workers: Int, gracefulTimeout: Int = 30, workerTimeout: Int = 30,
        maxRequests: Int = 0, maxRequestsJitter: Int = 0, sessionNice: Int = 0
    ) {
        self.host = host
        self.port = port
        self.workers = workers
        self.gracefulTimeout = gracefulTimeout
        self.workerTimeout = workerTimeout
        self.maxRequests = maxRequests
        self.maxRequestsJitter = maxRequestsJitter
        self.sessionNice = sessionNice
    }
}

/// What a worker process is handed after fork.
public struct WorkerContext: Sendable {
    /// This worker's index among the live workers (0..<Scoreboard.capacity); no two live workers share one.
    public let index: Int
    /// Its slot's listening socket (already bound and listening).
    public let listeningSocket: Int32
    /// Its entry in the scoreboard: mark ready, beat, count requests.
    public let scoreboard: ScoreboardEntry
    public let masterPID: Int32
    public let gracefulTimeout: Int
    /// Requests after which this worker should stop gracefully (0: never); jitter already applied.
    public let maxRequests: Int
}
