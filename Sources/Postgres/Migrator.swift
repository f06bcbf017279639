import Foundation

/// Applies `NNNN_name.sql` files in order, each once, each in its own transaction, and records them in
/// `schema_migrations` with a checksum. The files come from a folder or, as `clientele migrate` does by
/// default, from the binary itself (module `SQLMigrations`): the same text gives the same checksum, so a
/// database does not care which. Safe to run twice and from several processes at once (an advisory lock
/// serialises them); refuses to go on when a file that was applied has changed since.
public struct Migrator {
    public struct Migration: Sendable {
        public let version: String
        public let name: String
        public let sql: String
    }

    public enum Failure: Error, CustomStringConvertible {
        case changedAfterApply(String)
        case badFileName(String)
        case unreadableFolder(String)

        public var description: String {
            switch self {
            case .changedAfterApply(let name):
                return "migration \(name) was changed after it was applied; add a new migration instead"
            case .badFileName(let name):
                return "migration file \(name) is not named NNNN_name.sql"
            case .unreadableFolder(let path):
                return "cannot read migrations from \(path)"
            }
        }
    }

    /// Any constant shared by every process that migrates this database.
    static let lockKey = 7_274_651_001

    public let migrations: [Migration]

    /// The `.sql` files of `directory`.
    public init(directory: String) throws {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw Failure.unreadableFolder(directory)
        }
        try self.init(
            files: names.filter { $0.hasSuffix(".sql") }.map { file in
                (file, try String(contentsOfFile: directory + "/" + file, encoding: .utf8))
            })
    }

    /// Files given by name (`NNNN_name.sql`) and text; applied in name order.
    public init(files: [(name: String, sql: String)]) throws {
        migrations = try files.sorted { $0.name < $1.name }.map { file, sql in
            let stem = String(file.dropLast(4))
            guard file.hasSuffix(".sql"), let underscore = stem.firstIndex(of: "_"), underscore != stem.startIndex,
                stem[..<underscore].allSatisfy(\.isNumber)
            else { throw Failure.badFileName(file) }
            return Migration(version: String(stem[..<underscore]), name: stem, sql: sql)
        }
    }

    /// Applies what is pending; returns the names applied now (empty when the schema was current).
    @discardableResult
    public func migrate(_ connection: Connection) throws -> [String] {
        try connection.execute("SELECT pg_advisory_lock(\(Self.lockKey))")
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock(\(Self.lockKey))") }
        try connection.execute(
            simple: """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version text PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                );
                COMMENT ON TABLE schema_migrations IS 'Migration files of sql/migrations applied to this database, one row each (written by clientele migrate).';
                COMMENT ON COLUMN schema_migrations.version IS 'The NNNN prefix of the file name.';
                COMMENT ON COLUMN schema_migrations.name IS 'The file name without .sql.';
                COMMENT ON COLUMN schema_migrations.checksum IS 'SHA-256 of the file as applied; migrate refuses to run when a file no longer matches.';
                COMMENT ON COLUMN schema_migrations.applied_at IS 'When the file was applied.';
                """)
        var applied: [String: String] = [:]
        for row in try connection.execute("SELECT version, checksum FROM schema_migrations").rows {
            applied[try row.decode(String.self, at: 0)] = try row.decode(String.self, at: 1)
        }
        var appliedNow: [String] = []
        for migration in migrations {
            let checksum = try connection.execute(
                "SELECT encode(sha256(convert_to(\(migration.sql), 'UTF8')), 'hex')"
            ).first!.decode(String.self, at: 0)
            if let recorded = applied[migration.version] {
                guard recorded == checksum else { throw Failure.changedAfterApply(migration.name) }
                continue
            }
            try connection.execute(simple: "BEGIN")
            do {
                try connection.execute(simple: migration.sql)
                try connection.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(checksum))"
                )
                try connection.execute(simple: "COMMIT")
            } catch {
                _ = try? connection.execute(simple: "ROLLBACK")
                throw error
            }
            appliedNow.append(migration.name)
        }
        return appliedNow
    }
}
