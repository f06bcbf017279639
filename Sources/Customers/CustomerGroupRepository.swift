import Identifiers
import Postgres

/// All SQL about customer groups and their members.
public struct CustomerGroupRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    public func list(_ query: CustomerGroupListQuery) async throws -> (groups: [CustomerGroup], count: Int) {
        let condition = query.conditions
        let rows = try await database.query(
            """
            SELECT (SELECT count(*) FROM customer_group g WHERE \(condition)), page.*
            FROM (SELECT 1) AS one
            LEFT JOIN LATERAL (
                SELECT \(CustomerGroup.columns) FROM customer_group g WHERE \(condition)
                ORDER BY \(query.orderBy("g")) LIMIT \(query.limit) OFFSET \(query.offset)
            ) AS page ON true
            ORDER BY \(query.orderBy("page"))
            """)
        let total = try rows.first!.decode(Int.self, at: 0)
        let groups = try rows.rows.filter { !$0.result.isNull(row: $0.index, column: 1) }.map {
            try CustomerGroup(row: $0, offset: 1)
        }
        return (groups, total)
    }

    public func find(id: String) async throws -> CustomerGroup? {
        try await database.query(
            "SELECT \(CustomerGroup.columns) FROM customer_group g WHERE g.id = \(id) AND g.deleted_at IS NULL"
        ).first.map { try CustomerGroup(row: $0) }
    }

    public func create(name: String, metadata: JSONText?) async throws -> CustomerGroup {
        do {
            let row = try await database.query(
                """
                INSERT INTO customer_group AS g (id, name, metadata) VALUES (\(makeID(prefix: "cgrp")), \(name), \(metadata)::jsonb)
                RETURNING \(CustomerGroup.columns)
                """
            ).first!
            return try CustomerGroup(row: row)
        } catch let error as PostgresError where error.isUniqueViolation {
            throw CustomerError.duplicateGroupName(name)
        }
    }

    public func update(id: String, name: String?, metadataSet: JSONText?, metadataRemove: [String]) async throws -> CustomerGroup {
        do {
            let rows = try await database.query(
                """
                UPDATE customer_group g SET
                    name = coalesce(\(name), g.name),
                    metadata = CASE
                        WHEN \(metadataSet)::jsonb IS NULL AND cardinality(\(metadataRemove)::text[]) = 0 THEN g.metadata
                        ELSE (coalesce(g.metadata, '{}'::jsonb) || coalesce(\(metadataSet)::jsonb, '{}'::jsonb)) - \(metadataRemove)::text[]
                    END,
                    updated_at = now()
                WHERE g.id = \(id) AND g.deleted_at IS NULL
                RETURNING \(CustomerGroup.columns)
                """)
            guard let row = rows.first else { throw CustomerError.groupNotFound(id) }
            return try CustomerGroup(row: row)
        } catch let error as PostgresError where error.isUniqueViolation {
            throw CustomerError.duplicateGroupName(name ?? "")
        }
    }

    /// Soft delete; its memberships go with it. False when there was no such live group (which the route
    /// answers as a success all the same: Medusa's delete is idempotent).
    @discardableResult
    public func delete(id: String) async throws -> Bool {
        let rows = try await database.query(
            """
            WITH g AS (
                UPDATE customer_group SET deleted_at = now(), updated_at = now() WHERE id = \(id) AND deleted_at IS NULL
                RETURNING id
            ), members AS (
                DELETE FROM customer_group_customers m USING g WHERE m.customer_group_id = g.id RETURNING 1
            )
            SELECT id, (SELECT count(*) FROM members) FROM g
            """)
        return rows.rowCount == 1
    }

    /// Adds customers to the group, all or nothing: when some do not exist (or are deleted), nothing changes
    /// and `unknownCustomers` names every one of them, in the order given. Adding a member again is no error.
    public func addMembers(groupID: String, customerIDs: [String]) async throws -> CustomerGroup {
        try await database.withTransaction { connection in
            let group = try await Self.lockGroup(groupID, connection)
            let known = Set(
                try await connection.query(
                    "SELECT id FROM customer WHERE id = ANY(\(customerIDs)::text[]) AND deleted_at IS NULL"
                ).rows.map { try $0.decode(String.self, at: 0) })
            let missing = customerIDs.filter { !known.contains($0) }
            if !missing.isEmpty { throw CustomerError.unknownCustomers(missing) }
            // Only customers that really joined get a new version (their ETag changes with their groups).
            try await connection.query(
                """
                WITH joined AS (
                    INSERT INTO customer_group_customers (customer_group_id, customer_id)
                    SELECT \(groupID), id FROM unnest(\(customerIDs)::text[]) AS id
                    ON CONFLICT DO NOTHING
                    RETURNING customer_id
                )
                UPDATE customer SET version = version + 1, updated_at = now() WHERE id IN (SELECT customer_id FROM joined)
                """)
            return group
        }
    }

    /// Takes customers out of the group; ids that are not members (or do not exist) are ignored, as Medusa
    /// does. Only an unknown group is an error.
    public func removeMembers(groupID: String, customerIDs: [String]) async throws -> CustomerGroup {
        try await database.withTransaction { connection in
            let group = try await Self.lockGroup(groupID, connection)
            try await connection.query(
                """
                WITH left_group AS (
                    DELETE FROM customer_group_customers
                    WHERE customer_group_id = \(groupID) AND customer_id = ANY(\(customerIDs)::text[])
                    RETURNING customer_id
                )
                UPDATE customer SET version = version + 1, updated_at = now() WHERE id IN (SELECT customer_id FROM left_group)
                """)
            return group
        }
    }

    /// The live group, locked for the rest of the transaction (a concurrent delete waits), or `groupNotFound`.
    private static func lockGroup(_ id: String, _ connection: LeasedConnection) async throws -> CustomerGroup {
        guard
            let group = try await connection.query(
                "SELECT \(CustomerGroup.columns) FROM customer_group g WHERE g.id = \(id) AND g.deleted_at IS NULL FOR UPDATE"
            ).first.map({ try CustomerGroup(row: $0) })
        else { throw CustomerError.groupNotFound(id) }
        return group
    }

    /// Live customers of each group (for `expand=customers`).
    public func customers(of groupIDs: [String]) async throws -> [String: [Customer]] {
        let rows = try await database.query(
            """
            SELECT m.customer_group_id, \(Customer.columns)
            FROM customer_group_customers m JOIN customer c ON c.id = m.customer_id
            WHERE m.customer_group_id = ANY(\(groupIDs)::text[]) AND c.deleted_at IS NULL
            ORDER BY c.created_at DESC, c.id DESC
            """)
        var byGroup: [String: [Customer]] = [:]
        for row in rows.rows {
            byGroup[try row.decode(String.self, at: 0), default: []].append(try Customer(row: row, offset: 1))
        }
        return byGroup
    }
}
