import Glibc

/// Listening TCP sockets owned by the master. Each worker slot gets a socket of its own on the same
/// address (SO_REUSEPORT): the kernel spreads connections over them, no worker races another for one, and a
/// connection queued on a slot whose worker died waits for that slot's replacement instead of being reset,
/// because the master keeps the socket open.
public enum ListeningSocket {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Fails when another process listens on the address. The master's own sockets set SO_REUSEPORT, which
    /// would let a second server (another `serve`, say) share the port silently and take half of its
    /// connections; a probe bound without SO_REUSEPORT is refused while any listener holds the port.
    public static func ensureFree(host: String, port: Int) throws {
        guard port != 0 else { return }
        let probe = try open(host: host, port: port, backlog: 1, reusePort: false)
        close(probe)
    }

    /// Opens, binds and listens. With `port` 0 the kernel picks one; pass the port it chose
    /// (`boundPort(of:)`) for the next socket of the same group.
    public static func open(host: String, port: Int, backlog: Int32 = 1024, reusePort: Bool = true) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw Failure(description: "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address for \(host)"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let address = candidate {
            candidate = address.pointee.ai_next
            let descriptor = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            if descriptor < 0 { continue }
            var one: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            if reusePort { setsockopt(descriptor, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) }
            if bind(descriptor, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0,
                listen(descriptor, backlog) == 0
            {
                return descriptor
            }
            lastError = "cannot listen on \(host):\(port): \(String(cString: strerror(errno)))"
            close(descriptor)
        }
        throw Failure(description: lastError)
    }

    /// The port a socket is bound to.
    public static func boundPort(of descriptor: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else { return 0 }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { pointer -> Int in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }
}
