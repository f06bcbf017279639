import Customers
import Postgres

/// The columns an import file may have (API.md "Imports"), in any order; `email` is required.
public enum ImportColumn: String, Sendable, CaseIterable {
    case email, first_name, last_name, phone, password, metadata, groups
}

/// What an import does with a row whose email belongs to a live customer already.
public enum ImportConflict: String, Sendable, CaseIterable {
    /// Leave the customer alone (`rows_skipped`).
    case skip
    /// Set the customer's fields from the row's columns (`rows_updated`).
    case update
}

public struct ImportOptions: Sendable {
    public var onConflict: ImportConflict
    /// Send the welcome email to each customer the import creates.
    public var welcomeEmail: Bool

    public init(onConflict: ImportConflict = .skip, welcomeEmail: Bool = false) {
        self.onConflict = onConflict
        self.welcomeEmail = welcomeEmail
    }
}

/// A CSV import of customers (`customer_import`) as API.md describes it, with its progress.
public struct CustomerImport: Sendable {
    public enum State: String, Sendable {
        case queued, running, completed, failed
    }

    /// A row that failed, and why (the create route's message).
    public struct RowError: Sendable, Equatable, Decodable {
        public var line: Int
        public var message: String
    }

    public var id: String
    public var state: State
    public var options: ImportOptions
    public var columns: [ImportColumn]
    public var rowsTotal: Int
    public var rowsDone: Int
    public var rowsCreated: Int
    public var rowsUpdated: Int
    public var rowsSkipped: Int
    public var rowsFailed: Int
    /// The first 100 failed rows, by line (all of them: `CustomerImportRepository.errors`).
    public var errors: [RowError] = []
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var completedAt: Timestamp?

    /// The job id that runs the import (nil once it was pruned).
    public var jobID: Int?

    static let errorsShown = 100

    /// The columns of `CustomerImportRepository`'s reads. A queued or running import whose job was given up
    /// (discarded, cancelled) or pruned reads as failed, whatever stopped the job from saying so.
    static let columns: SQL = """
        i.id,
        CASE WHEN i.state IN ('queued', 'running') AND (j.id IS NULL OR j.state IN ('discarded', 'cancelled'))
             THEN 'failed' ELSE i.state END,
        i.on_conflict, i.welcome_email, i.columns, i.rows_total, i.rows_done, i.rows_created, i.rows_updated,
        i.rows_skipped, i.rows_failed, i.created_at, i.updated_at, i.completed_at, i.job_id
        """

    /// Reads the columns of `columns`, starting at `offset`.
    init(row: Row, offset: Int = 0) throws {
        id = try row.decode(at: offset)
        state = State(rawValue: try row.decode(at: offset + 1)) ?? .failed
        options = ImportOptions(
            onConflict: ImportConflict(rawValue: try row.decode(at: offset + 2)) ?? .skip,
            welcomeEmail: try row.decode(at: offset + 3))
        columns = Self.parseColumns(row.text(at: offset + 4) ?? "{}")
        rowsTotal = try row.decode(at: offset + 5)
        rowsDone = try row.decode(at: offset + 6)
        rowsCreated = try row.decode(at: offset + 7)
        rowsUpdated = try row.decode(at: offset + 8)
        rowsSkipped = try row.decode(at: offset + 9)
        rowsFailed = try row.decode(at: offset + 10)
        createdAt = try row.decode(at: offset + 11)
        updatedAt = try row.decode(at: offset + 12)
        completedAt = try row.decode(at: offset + 13)
        jobID = try row.decode(at: offset + 14)
    }

    /// `{email,first_name}` (the text of a text[] of known names) into columns.
    static func parseColumns(_ text: String) -> [ImportColumn] {
        text.dropFirst().dropLast().split(separator: ",").compactMap { ImportColumn(rawValue: String($0)) }
    }
}

/// What the import routes and the command refuse, in their own words.
public enum CustomerImportError: Error, Equatable, Sendable {
    case notFound(String)
}
