import Identifiers
import Postgres

/// Columns a group list can be ordered by (an allowlist: they are written into ORDER BY).
public enum CustomerGroupOrderField: String, Sendable, CaseIterable {
    case id, name, created_at, updated_at
}

public struct CustomerGroupListQuery: Sendable {
    public var limit = 50
    public var offset = 0
    /// Case-insensitive substring of the name.
    public var search: String?
    public var orderField: CustomerGroupOrderField = .created_at
    public var descending = true

    public init() {}
}

/// All SQL about customer groups and their members.
public struct CustomerGroupRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    public func list(_ query: CustomerGroupListQuery) async throws -> (groups: [CustomerGroup], count: Int) {
        var conditions: [SQL] = ["g.deleted_at IS NULL"]
        if let search = query.search {
            conditions.append("lower(g.name) LIKE \(CustomerListQuery.containsPattern(search))")
        }
        let condition = SQL.join(conditions, " AND ")
        let direction = query.descending ? "DESC" : "ASC"
        let order: SQL = "g.\(unsafeRaw: query.orderField.rawValue) \(unsafeRaw: direction), g.id \(unsafeRaw: direction)"
        let pageOrder: SQL = "page.\(unsafeRaw: query.orderField.rawValue) \(unsafeRaw: direction), page.id \(unsafeRaw: direction)"
        let rows = try await database.query(
            """
            SELECT (SELECT count(*) FROM customer_group g WHERE \(condition)), page.*
            FROM (SELECT 1) AS one
            LEFT JOIN LATERAL (
                SELECT \(CustomerGroup.columns) FROM customer_group g WHERE \(condition)
                ORDER BY \(order) LIMIT \(query.limit) OFFSET \(query.offset)
            ) AS page ON true
            ORDER BY \(pageOrder)
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

    /// Soft delete; its memberships go with it.
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

    /// Adds (or removes) customers; all or nothing: an unknown customer id changes nothing.
    public func changeMembers(groupID: String, customerIDs: [String], add: Bool) async throws -> CustomerGroup {
        try await database.withTransaction { connection in
            guard
                let group = try await connection.query(
                    "SELECT \(CustomerGroup.columns) FROM customer_group g WHERE g.id = \(groupID) AND g.deleted_at IS NULL FOR UPDATE"
                ).first.map({ try CustomerGroup(row: $0) })
            else { throw CustomerError.groupNotFound(groupID) }
            let known = Set(
                try await connection.query(
                    "SELECT id FROM customer WHERE id = ANY(\(customerIDs)::text[]) AND deleted_at IS NULL"
                ).rows.map { try $0.decode(String.self, at: 0) })
            if let missing = customerIDs.first(where: { !known.contains($0) }) {
                throw CustomerError.unknownCustomer(missing)
            }
            if add {
                try await connection.query(
                    """
                    INSERT INTO customer_group_customers (customer_group_id, customer_id)
                    SELECT \(groupID), id FROM unnest(\(customerIDs)::text[]) AS id
                    ON CONFLICT DO NOTHING
                    """)
            } else {
                try await connection.query(
                    "DELETE FROM customer_group_customers WHERE customer_group_id = \(groupID) AND customer_id = ANY(\(customerIDs)::text[])")
            }
            try await connection.query(
                "UPDATE customer SET version = version + 1, updated_at = now() WHERE id = ANY(\(customerIDs)::text[])")
            return group
        }
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
