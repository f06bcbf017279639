import Foundation
import Glibc

/// One secret in a file of its own (a Docker secret, or one `clientele secrets` keeps): its text without the
/// trailing line ending(s) an editor or `echo` adds. Written atomically, readable by its owner only.
enum SecretFile {
    enum Contents: Equatable {
        case value(String)
        case missing
        case unreadable(String)
    }

    static func read(_ path: String) -> Contents {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return errno == ENOENT ? .missing : .unreadable(String(cString: strerror(errno))) }
        let file = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        let data: Data
        do {
            data = try file.readToEnd() ?? Data()
        } catch {
            return .unreadable(oneLine(error))
        }
        guard var text = String(data: data, encoding: .utf8) else { return .unreadable("not UTF-8 text") }
        // `last` is a Character: "\r\n" is one, and isNewline covers it as well as "\n".
        while text.last?.isNewline == true { text.removeLast() }
        return .value(text)
    }

    /// Replaces the file at `path` with `text` and a line ending, mode 0600 from the start (never readable by
    /// others, not even for a moment). Stops the process with one line on any error.
    static func write(_ text: String, to path: String) {
        let temporary = path + ".new"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { fail("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        let bytes = Array((text + "\n").utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                close(descriptor)
                fail("cannot write \(temporary): \(String(cString: strerror(errno)))")
            }
            written += result
        }
        guard fsync(descriptor) == 0, close(descriptor) == 0, rename(temporary, path) == 0 else {
            fail("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
