import Foundation

/// Writes each message to `<directory>/<Message-ID>.eml` (RFC 5322 text). A message sent again under the
/// same Message-ID replaces its file, so a folder holds each delivery once.
public struct FileTransport: MailTransport {
    public let directory: String

    /// Creates the folder if needed; fails when it cannot be created or written.
    public init(directory: String) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw MailError(.permanent, "cannot create mail folder \(directory): \(error.localizedDescription)")
        }
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw MailError(.permanent, "mail folder \(directory) is not writable")
        }
    }

    public func send(_ message: MailMessage) async throws {
        let name = String(message.messageID.map { $0.isLetter || $0.isNumber || "._-@".contains($0) ? $0 : "_" })
        let path = "\(directory)/\(name).eml"
        let temporary = "\(directory)/.\(name).\(UUID().uuidString).tmp"
        do {
            // Written aside, then renamed: a reader never sees half a message.
            try Data(message.rendered().utf8).write(to: URL(fileURLWithPath: temporary))
            if rename(temporary, path) != 0 { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw MailError(.temporary, "cannot write \(path): \(error.localizedDescription)")
        }
    }

    public var description: String { "file:\(directory)" }
}
