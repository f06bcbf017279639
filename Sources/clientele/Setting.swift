/// Every environment variable Clientele's commands read: the one list, which README's Configuration table
/// must match (Tests/api/test_settings.py compares them). `Environment` reads a variable only by its case
/// here, and each case is read in one place (a setting parsed twice drifts: two ranges, two defaults).
enum Setting: String, CaseIterable {
    // The database (all commands; DatabaseSettings for serve and worker).
    case databaseURL = "DATABASE_URL"
    case databaseListenURL = "DATABASE_LISTEN_URL"
    case dbPipelines = "DB_PIPELINES"
    case dbPoolSize = "DB_POOL_SIZE"
    case dbAcquireTimeout = "DB_ACQUIRE_TIMEOUT"
    case dbPreparedStatements = "DB_PREPARED_STATEMENTS"
    case dbStatementTimeout = "DB_STATEMENT_TIMEOUT"
    case gracefulTimeout = "GRACEFUL_TIMEOUT"
    // serve
    case host = "HOST"
    case port = "PORT"
    case httpWorkers = "HTTP_WORKERS"
    case workerTimeout = "WORKER_TIMEOUT"
    case keepaliveTimeout = "KEEPALIVE_TIMEOUT"
    case sessionNice = "SESSION_NICE"
    case maxRequests = "MAX_REQUESTS"
    case maxRequestsJitter = "MAX_REQUESTS_JITTER"
    case maxBodySize = "MAX_BODY_SIZE"
    case importMaxBytes = "IMPORT_MAX_BYTES"
    case jwtSecret = "JWT_SECRET"
    case jwtSecretFile = "JWT_SECRET_FILE"
    case sessionTTL = "SESSION_TTL"
    case cookieSecure = "COOKIE_SECURE"
    case adminCORS = "ADMIN_CORS"
    case authCacheTTL = "AUTH_CACHE_TTL"
    case loginMaxFailures = "LOGIN_MAX_FAILURES"
    case loginMaxFailuresPerAddress = "LOGIN_MAX_FAILURES_PER_ADDRESS"
    case debugRoutes = "DEBUG_ROUTES"
    // Password hashing (serve, worker, import).
    case passwordScryptLogN = "PASSWORD_SCRYPT_LOG_N"
    case unsafeFastPasswordHash = "UNSAFE_FAST_PASSWORD_HASH"
    // worker, import
    case importBatchSize = "IMPORT_BATCH_SIZE"
    case importAttemptSeconds = "IMPORT_ATTEMPT_SECONDS"
    case workerConcurrency = "WORKER_CONCURRENCY"
    case jobTimeout = "JOB_TIMEOUT"
    case workerHeartbeatFile = "WORKER_HEARTBEAT_FILE"
    case mailTransport = "MAIL_TRANSPORT"
    case smtpURL = "SMTP_URL"
    case mailFrom = "MAIL_FROM"
    case shopName = "SHOP_NAME"
    case welcomeEmail = "WELCOME_EMAIL"
    // migrate, secrets
    case adminEmail = "ADMIN_EMAIL"
    case adminPassword = "ADMIN_PASSWORD"
    case adminPasswordFile = "ADMIN_PASSWORD_FILE"
    case postgresPassword = "POSTGRES_PASSWORD"
    case postgresPasswordFile = "POSTGRES_PASSWORD_FILE"
    case migrationsDir = "MIGRATIONS_DIR"
    case secretsDir = "SECRETS_DIR"
    // Output of every command.
    case logLevel = "LOG_LEVEL"
    case logFormat = "LOG_FORMAT"

    /// For a secret: the variable naming a file that holds it instead (`JWT_SECRET_FILE`).
    var fileVariant: Setting? { Setting(rawValue: rawValue + "_FILE") }
}
