import Customers
import Identifiers
import JSON
import Jobs
import Postgres

/// The SQL that writes a batch of valid import rows: one statement for many rows, its input one JSON
/// document (`json_to_recordset`), so that a batch costs one round trip.
///
/// A row matches the live customer with its email (the one with an account, if there are two: a guest and
/// a registered customer may share an email). Without a match it is created (with an account when it has a
/// password, a guest otherwise); with one it is skipped, or (`on_conflict=update`) the customer's fields are
/// set from the row's columns: a column the file does not have is left alone, an empty cell sets NULL, a
/// password sets the password and the account, metadata merges as the update route merges it, and groups
/// are joined (never left). Imports record no events, as bulk loads do not (DESIGN.md), except
/// `customer.created` for each created customer when the welcome email was asked for.
struct ImportBatchStatement {
    let columns: [ImportColumn]
    let options: ImportOptions

    struct Counts {
        var created = 0
        var updated = 0
        var skipped = 0
    }

    /// The ids of the live groups with these names, creating those that do not exist.
    func ensureGroups(named names: Set<String>, on connection: LeasedConnection) async throws -> [String: String] {
        guard !names.isEmpty else { return [:] }
        let sorted = names.sorted()
        try await connection.query(
            """
            INSERT INTO customer_group (id, name)
            SELECT id, name FROM unnest(\(sorted.map { _ in makeID(prefix: "cgrp") })::text[], \(sorted)::text[]) AS g (id, name)
            ON CONFLICT (name) WHERE deleted_at IS NULL DO NOTHING
            """)
        let rows = try await connection.query(
            "SELECT name, id FROM customer_group WHERE deleted_at IS NULL AND name = ANY(\(sorted)::text[])")
        var ids: [String: String] = [:]
        for row in rows.rows { ids[try row.decode(String.self, at: 0)] = try row.decode(String.self, at: 1) }
        return ids
    }

    /// Writes the rows, a statement per group of rows with distinct emails (a later row with the same email
    /// as an earlier one then finds the customer the earlier one made).
    func write(_ writes: [ImportWrite], groups: [String: String], on connection: LeasedConnection) async throws -> Counts {
        var total = Counts()
        for round in Self.distinctEmailRounds(writes) {
            let counts = try await writeRound(round, groups: groups, on: connection)
            total.created += counts.created
            total.updated += counts.updated
            total.skipped += counts.skipped
        }
        return total
    }

    /// The same, a row at a time under a savepoint each: a row the database refuses is reported with the
    /// message the API gives for it (`Invalid value: …`), and the others are written.
    func writeOneByOne(
        _ writes: [ImportWrite], groups: [String: String], on connection: LeasedConnection
    ) async throws -> (counts: Counts, failures: [ImportRow.Failure]) {
        var total = Counts()
        var failures: [ImportRow.Failure] = []
        for write in writes {
            try await connection.execute(simple: "SAVEPOINT import_row")
            do {
                let counts = try await writeRound([write], groups: groups, on: connection)
                total.created += counts.created
                total.updated += counts.updated
                total.skipped += counts.skipped
                try await connection.execute(simple: "RELEASE SAVEPOINT import_row")
            } catch let error as PostgresError where error.isInvalidInput {
                try await connection.execute(simple: "ROLLBACK TO SAVEPOINT import_row")
                failures.append(
                    ImportRow.Failure(line: write.row.line, email: write.row.draft.email, message: "Invalid value: \(error.message)"))
            }
        }
        return (total, failures)
    }

    /// Splits rows into rounds in which no email appears twice, keeping the file's order per email.
    static func distinctEmailRounds(_ writes: [ImportWrite]) -> [[ImportWrite]] {
        var rounds: [[ImportWrite]] = []
        var seen: [String: Int] = [:]
        for write in writes {
            let round = seen[write.row.draft.email, default: 0]
            seen[write.row.draft.email] = round + 1
            if round == rounds.count { rounds.append([]) }
            rounds[round].append(write)
        }
        return rounds
    }

    private func writeRound(_ writes: [ImportWrite], groups: [String: String], on connection: LeasedConnection) async throws -> Counts {
        let update = options.onConflict == .update
        let has = { (column: ImportColumn) in columns.contains(column) }
        let welcome = JobQueue.enqueueStatement(
            kind: "customer.created",
            argsFrom: "SELECT jsonb_build_object('customer_id', id) AS args FROM inserted WHERE \(options.welcomeEmail)")
        let rows = try await connection.query(
            """
            WITH input AS (
                SELECT * FROM json_to_recordset(\(Self.input(writes, groups: groups))::json) AS i (
                    n int, id text, email text, first_name text, last_name text, phone text, password_hash text,
                    metadata jsonb, metadata_set jsonb, metadata_remove text[], group_ids text[])
            ), matched AS (
                SELECT DISTINCT ON (i.n) i.n, c.id AS customer_id
                FROM input i JOIN customer c ON c.email = i.email AND c.deleted_at IS NULL
                ORDER BY i.n, c.has_account DESC, c.id
            ), inserted AS (
                INSERT INTO customer (id, email, first_name, last_name, phone, password_hash, has_account, metadata)
                SELECT i.id, i.email, i.first_name, i.last_name, i.phone, i.password_hash, i.password_hash IS NOT NULL,
                       i.metadata
                FROM input i WHERE i.n NOT IN (SELECT n FROM matched)
                ON CONFLICT (email, has_account) WHERE deleted_at IS NULL DO NOTHING
                RETURNING id
            ), updated AS (
                UPDATE customer c SET
                    first_name = CASE WHEN \(has(.first_name)) THEN i.first_name ELSE c.first_name END,
                    last_name = CASE WHEN \(has(.last_name)) THEN i.last_name ELSE c.last_name END,
                    phone = CASE WHEN \(has(.phone)) THEN i.phone ELSE c.phone END,
                    password_hash = coalesce(i.password_hash, c.password_hash),
                    has_account = c.has_account OR i.password_hash IS NOT NULL,
                    metadata = CASE
                        WHEN i.metadata_set IS NULL AND cardinality(i.metadata_remove) = 0 THEN c.metadata
                        ELSE (coalesce(c.metadata, '{}'::jsonb) || coalesce(i.metadata_set, '{}'::jsonb)) - i.metadata_remove
                    END,
                    updated_at = now(),
                    version = c.version + 1
                FROM input i JOIN matched m ON m.n = i.n
                WHERE \(update) AND c.id = m.customer_id
                RETURNING c.id, i.n
            ), members AS (
                INSERT INTO customer_group_customers (customer_group_id, customer_id)
                SELECT DISTINCT group_id, target.customer_id
                FROM (SELECT i.group_ids, i.id AS customer_id FROM input i JOIN inserted USING (id)
                      UNION ALL
                      SELECT i.group_ids, u.id FROM input i JOIN updated u ON u.n = i.n) AS target,
                     unnest(target.group_ids) AS group_id
                ON CONFLICT DO NOTHING
                RETURNING 1
            ), welcome AS (
                \(welcome)
            )
            SELECT (SELECT count(*) FROM input), (SELECT count(*) FROM matched), (SELECT count(*) FROM inserted),
                   (SELECT count(*) FROM updated), (SELECT count(*) FROM members), (SELECT count(*) FROM welcome)
            """)
        let row = rows.first!
        let (input, matched, inserted, updated): (Int, Int, Int, Int) = (
            try row.decode(at: 0), try row.decode(at: 1), try row.decode(at: 2), try row.decode(at: 3)
        )
        // Every row without a match must have been inserted; one that was not met a customer created since
        // the lookup (ON CONFLICT), and the batch goes again.
        guard inserted == input - matched else { throw CustomerImporter.LostRace() }
        return Counts(created: inserted, updated: updated, skipped: update ? 0 : matched)
    }

    /// The rows as one JSON array for `json_to_recordset`.
    static func input(_ writes: [ImportWrite], groups: [String: String]) -> String {
        var writer = JSONWriter(capacity: 200 * writes.count)
        writer.beginArray()
        for (index, write) in writes.enumerated() {
            let draft = write.row.draft
            writer.beginObject()
            writer.key("n"); writer.int(index)
            writer.key("id"); writer.string(makeID(prefix: "cus"))
            writer.key("email"); writer.string(draft.email)
            writer.key("first_name"); writer.string(draft.firstName)
            writer.key("last_name"); writer.string(draft.lastName)
            writer.key("phone"); writer.string(draft.phone)
            writer.key("password_hash"); writer.string(write.passwordHash)
            writer.key("metadata"); writer.raw(draft.metadata?.text)
            writer.key("metadata_set"); writer.raw(write.row.metadataPatch?.set?.text)
            writer.key("metadata_remove")
            writer.beginArray()
            for key in write.row.metadataPatch?.remove ?? [] { writer.string(key) }
            writer.endArray()
            writer.key("group_ids")
            writer.beginArray()
            for name in write.row.groups { if let id = groups[name] { writer.string(id) } }
            writer.endArray()
            writer.endObject()
        }
        writer.endArray()
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
