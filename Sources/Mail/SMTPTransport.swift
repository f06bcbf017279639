import BlockingWork
import CCurl
import CCurlShims
import Foundation
import Synchronization

/// Sends through an SMTP server with libcurl: `smtps://host[:port]` (TLS from the start) or
/// `smtp://host[:port]` with STARTTLS; AUTH when the URL carries a user and a password.
///
/// Credentials never travel in clear: with a user and password, `smtp://` requires STARTTLS
/// (CURLUSESSL_ALL), so a server that does not offer it (or a connection stripped of it) gets no AUTH and
/// the send fails with a clear error. Only `?tls=none` opts out, for a local test sink such as Mailpit;
/// the worker logs a warning then. Without credentials, STARTTLS is used when offered.
///
/// A send blocks (libcurl's easy interface), so each one runs on the process's `BlockingPool`, never on
/// Swift's cooperative pool. Cancelling the sending task aborts the transfer (libcurl's progress callback), so a
/// job that timed out or a stopping worker never leaves a send running. The password goes to libcurl as an
/// option, never in the URL that is logged.
public final class SMTPTransport: MailTransport {
    /// How the connection is protected.
    public enum Security: Sendable, Equatable {
        /// `smtps://`: TLS from the first byte.
        case implicitTLS
        /// `smtp://` with credentials: STARTTLS or no send.
        case requireSTARTTLS
        /// `smtp://` without credentials: STARTTLS when the server offers it.
        case opportunisticSTARTTLS
        /// `smtp://…?tls=none`: plain text, AUTH included. Only for a local sink.
        case none
    }

    /// The server, without credentials: what logs may show.
    public let serverURL: String
    public let security: Security
    private let username: String?
    private let password: String?
    private let connectTimeout: Int
    private let timeout: Int
    /// The process's pool for blocking calls: a delivery blocks one of its threads (libcurl's easy interface).
    private let blocking: BlockingPool

    public enum ConfigurationError: Error, CustomStringConvertible {
        case malformed(String)
        public var description: String {
            switch self {
            case .malformed(let reason): return reason
            }
        }
    }

    /// Parses `smtp://[user:password@]host[:port][?tls=none]` or `smtps://…`; the reason names what is
    /// wrong, never the password.
    public init(url: String, blocking: BlockingPool, connectTimeout: Int = 10, timeout: Int = 60) throws {
        self.blocking = blocking
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "smtp" || scheme == "smtps"
        else { throw ConfigurationError.malformed("must be smtp://host[:port] or smtps://host[:port]") }
        guard let host = components.host, !host.isEmpty else {
            throw ConfigurationError.malformed("has no host")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw ConfigurationError.malformed("has an invalid port")
        }
        guard components.path.isEmpty || components.path == "/" else {
            throw ConfigurationError.malformed("must not have a path")
        }
        let plain: Bool
        switch components.query {
        case nil: plain = false
        case "tls=none" where scheme == "smtp": plain = true
        case "tls=none": throw ConfigurationError.malformed("?tls=none is for smtp:// only (smtps:// is TLS)")
        default: throw ConfigurationError.malformed("takes no query but ?tls=none (plain SMTP, for a local sink)")
        }
        let bracketed = host.contains(":") ? "[\(host)]" : host
        serverURL = "\(scheme)://\(bracketed)" + (components.port.map { ":\($0)" } ?? "")
        username = components.user?.removingPercentEncoding
        password = components.password?.removingPercentEncoding
        if (username == nil) != (password == nil) {
            throw ConfigurationError.malformed("must have both a user and a password, or neither")
        }
        if scheme == "smtps" {
            security = .implicitTLS
        } else if plain {
            security = .none
        } else {
            security = username == nil ? .opportunisticSTARTTLS : .requireSTARTTLS
        }
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        Self.initializeCurl
    }

    /// curl_global_init is not thread-safe: done once, before the first send.
    private static let initializeCurl: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public var description: String {
        let shown = username.map { serverURL.replacingOccurrences(of: "://", with: "://\($0)@") } ?? serverURL
        return security == .none ? shown + "?tls=none" : shown
    }

    /// `?tls=none` with a user and password: the password crosses the network in clear.
    public var sendsCredentialsInClear: Bool { security == .none && username != nil }

    /// Returns once the server accepted the message. Throws `MailError`, or `CancellationError` when the
    /// task was cancelled before the server accepted it (the transfer is aborted).
    public func send(_ message: MailMessage) async throws {
        let request = Request(
            url: serverURL, security: security, username: username, password: password,
            from: message.from.address, to: message.to.address, body: Array(message.rendered().utf8),
            connectTimeout: connectTimeout, timeout: timeout)
        let abort = TransferAbort()
        let outcome: Result<Void, MailError> = await withTaskCancellationHandler {
            // `perform` returns its failure as a value and never throws.
            (try? await blocking.run { request.perform(abort: abort) })
                ?? .failure(MailError(.temporary, "smtp: the delivery could not run"))
        } onCancel: {
            abort.request()
        }
        if case .failure = outcome, abort.isRequested { throw CancellationError() }
        try outcome.get()
    }
}

/// Set when the sending task is cancelled; libcurl's progress callback reads it and aborts the transfer.
private final class TransferAbort: Sendable {
    private let requested = Atomic<Bool>(false)
    func request() { requested.store(true, ordering: .releasing) }
    var isRequested: Bool { requested.load(ordering: .acquiring) }
}

/// One SMTP transaction, performed on the calling thread.
private struct Request: Sendable {
    let url: String
    let security: SMTPTransport.Security
    let username: String?
    let password: String?
    let from: String
    let to: String
    let body: [UInt8]
    let connectTimeout: Int
    let timeout: Int

    func perform(abort: TransferAbort) -> Result<Void, MailError> {
        if abort.isRequested { return .failure(MailError(.temporary, "smtp: cancelled before sending")) }
        guard let handle = curl_easy_init() else { return .failure(MailError(.temporary, "smtp: curl_easy_init failed")) }
        defer { curl_easy_cleanup(handle) }
        let recipients = curl_slist_append(nil, "<\(to)>")
        defer { curl_slist_free_all(recipients) }
        let upload = Upload(body)
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            _ = ccurl_setopt_string(handle, CURLOPT_URL, url)
            _ = ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)  // threads: no SIGALRM for timeouts
            _ = ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, connectTimeout)
            _ = ccurl_setopt_long(handle, CURLOPT_TIMEOUT, timeout)
            _ = ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorPointer.baseAddress)
            switch security {
            case .implicitTLS: break  // smtps:// is TLS from the start
            case .requireSTARTTLS: _ = ccurl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
            case .opportunisticSTARTTLS: _ = ccurl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_TRY.rawValue))
            case .none: _ = ccurl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_NONE.rawValue))
            }
            // Closed at the end of the transfer, inside curl_easy_perform, where the progress callback still
            // applies: kept for reuse, an aborted connection would be closed by curl_easy_cleanup, which
            // sends QUIT and waits up to two minutes for a server that stopped answering.
            _ = ccurl_setopt_long(handle, CURLOPT_FORBID_REUSE, 1)
            // The abort flag travels through XFERINFODATA, as the body does through READDATA.
            _ = ccurl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
            _ = ccurl_setopt_xferinfo_callback(handle) { userdata, _, _, _, _ in
                guard let userdata else { return 0 }
                return Unmanaged<TransferAbort>.fromOpaque(userdata).takeUnretainedValue().isRequested ? 1 : 0
            }
            if let username, let password {
                _ = ccurl_setopt_string(handle, CURLOPT_USERNAME, username)
                _ = ccurl_setopt_string(handle, CURLOPT_PASSWORD, password)
            }
            _ = ccurl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(from)>")
            _ = ccurl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients)
            _ = ccurl_setopt_long(handle, CURLOPT_UPLOAD, 1)
            _ = ccurl_setopt_long(handle, CURLOPT_INFILESIZE, body.count)
            // A closure without captures is a C function pointer; the body travels through READDATA.
            _ = ccurl_setopt_read_callback(handle) { buffer, size, count, userdata in
                guard let buffer, let userdata else { return 0 }
                let upload = Unmanaged<Upload>.fromOpaque(userdata).takeUnretainedValue()
                return upload.read(into: buffer, capacity: size * count)
            }
            return withExtendedLifetime((upload, abort)) {
                _ = ccurl_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(upload).toOpaque())
                _ = ccurl_setopt_pointer(handle, CURLOPT_XFERINFODATA, Unmanaged.passUnretained(abort).toOpaque())
                return curl_easy_perform(handle)
            }
        }
        if code == CURLE_OK { return .success(()) }

        var reply = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &reply)
        let written = String(decoding: errorBuffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var detail = written.isEmpty ? String(cString: curl_easy_strerror(code)) : written
        if code == CURLE_USE_SSL_FAILED && security == .requireSTARTTLS {
            detail = "the server offers no STARTTLS (\(detail)); SMTP_URL carries credentials, which are never "
                + "sent in clear (?tls=none allows it, for a local test sink only)"
        }
        let text = "smtp: \(detail)" + (reply > 0 ? " (server replied \(reply))" : "")
        // 5xx is the server's final word on this message or recipient; a refused login is a configuration
        // problem an operator fixes, so it is retried like an outage.
        let permanent = (500..<600).contains(reply) && code != CURLE_LOGIN_DENIED
        return .failure(MailError(permanent ? .permanent : .temporary, text, replyCode: reply > 0 ? reply : nil))
    }
}

/// The message bytes handed to libcurl's read callback, piece by piece.
private final class Upload {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}
