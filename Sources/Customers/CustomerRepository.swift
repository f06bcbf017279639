import Identifiers
import Postgres

/// What a new customer is made of (already validated).
public struct NewCustomer: Sendable {
    public var email: String
    public var firstName: String
    public var lastName: String
    public var phone: String?
    public var metadata: JSONText?
    public var passwordHash: String

    public init(email: String, firstName: String, lastName: String, phone: String?, metadata: JSONText?, passwordHash: String) {
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.phone = phone
        self.metadata = metadata
        self.passwordHash = passwordHash
    }
}

/// A change to a customer (already validated); nil leaves a field as it is.
public struct CustomerPatch: Sendable {
    public var email: String?
    /// `.some(nil)` sets the column to NULL.
    public var firstName: String??
    public var lastName: String??
    public var phone: String??
    /// Keys to set (merged into the stored object).
    public var metadataSet: JSONText?
    /// Keys to remove (sent with the value "").
    public var metadataRemove: [String] = []
    public var passwordHash: String?
    /// Replaces the customer's groups; `[]` clears them.
    public var groupIDs: [String]?

    public init() {}
}

/// All SQL about customers. Single statements go through the pipelined path; an update, which reads
/// before it writes, runs in a transaction. Every change records its event (a `job` row) in the same
/// transaction or statement, through `events` (the job queue's, `JobQueue.events()`, in the product).
public struct CustomerRepository: Sendable {
    let database: Database
    let events: SQLEvents

    public init(database: Database, events: SQLEvents) {
        self.database = database
        self.events = events
    }

    public func find(id: String) async throws -> Customer? {
        let rows = try await database.query(
            "SELECT \(Customer.columns) FROM customer c WHERE c.id = \(id) AND c.deleted_at IS NULL")
        return try rows.first.map { try Customer(row: $0) }
    }

    /// A customer and its live addresses (its default relation) in one statement: one row per address,
    /// or one row with NULL address columns.
    public func findWithShippingAddresses(id: String) async throws -> Customer? {
        let rows = try await database.query(
            """
            SELECT \(Customer.columns), \(Address.columns)
            FROM customer c LEFT JOIN address a ON a.customer_id = c.id AND a.deleted_at IS NULL
            WHERE c.id = \(id) AND c.deleted_at IS NULL
            ORDER BY a.created_at, a.id
            """)
        guard let first = rows.first else { return nil }
        var customer = try Customer(row: first)
        customer.shippingAddresses = try rows.rows.filter { !$0.result.isNull(row: $0.index, column: 12) }.map {
            try Address(row: $0, offset: 12)
        }
        return customer
    }

    /// Inserts the customer and its `customer.created` event in one statement. A live customer with an
    /// account and the same email makes it `duplicateEmail` (the unique index decides, so two racing
    /// requests get the same answer).
    public func create(_ new: NewCustomer) async throws -> Customer {
        let id = makeID(prefix: "cus")
        do {
            let rows = try await database.query(
                """
                WITH c AS (
                    INSERT INTO customer (id, email, first_name, last_name, phone, password_hash, has_account, metadata)
                    VALUES (\(id), \(new.email), \(new.firstName), \(new.lastName), \(new.phone), \(new.passwordHash),
                            true, \(new.metadata)::jsonb)
                    RETURNING *
                ), event AS (
                    \(events.record("customer.created", argsFrom: "SELECT jsonb_build_object('customer_id', id) AS args FROM c"))
                )
                SELECT \(Customer.columns), (SELECT count(*) FROM event) FROM c
                """)
            return try Customer(row: rows.first!)
        } catch let error as PostgresError where error.isUniqueViolation {
            throw CustomerError.duplicateEmail
        }
    }

    /// Applies a patch in a transaction: checks the version (`If-Match`) and the email rule, merges the
    /// metadata, replaces the groups, raises the version and records `customer.updated`.
    public func update(id: String, _ patch: CustomerPatch, expectedVersion: Int?) async throws -> Customer {
        try await database.withTransaction { connection in
            guard
                let current = try await connection.query(
                    "SELECT \(Customer.columns) FROM customer c WHERE c.id = \(id) AND c.deleted_at IS NULL FOR UPDATE"
                ).first.map({ try Customer(row: $0) })
            else { throw CustomerError.customerNotFound(id) }
            if let expectedVersion, expectedVersion != current.version { throw CustomerError.versionMismatch }
            if let email = patch.email, email != current.email, current.hasAccount {
                throw CustomerError.emailChangeNotAllowed
            }
            if let groupIDs = patch.groupIDs {
                let unique = Array(Set(groupIDs))
                let known = try await connection.query(
                    "SELECT id FROM customer_group WHERE id = ANY(\(unique)::text[]) AND deleted_at IS NULL"
                ).rows.map { try $0.decode(String.self, at: 0) }
                if let missing = groupIDs.first(where: { !known.contains($0) }) {
                    throw CustomerError.unknownGroup(missing)
                }
                try await connection.query("DELETE FROM customer_group_customers WHERE customer_id = \(id)")
                try await connection.query(
                    """
                    INSERT INTO customer_group_customers (customer_group_id, customer_id)
                    SELECT group_id, \(id) FROM unnest(\(unique)::text[]) AS group_id
                    """)
            }
            let rows: QueryResult
            do {
                rows = try await connection.query(
                    """
                    UPDATE customer c SET
                        email = coalesce(\(patch.email), c.email),
                        first_name = CASE WHEN \(patch.firstName != nil) THEN \(patch.firstName ?? nil) ELSE c.first_name END,
                        last_name = CASE WHEN \(patch.lastName != nil) THEN \(patch.lastName ?? nil) ELSE c.last_name END,
                        phone = CASE WHEN \(patch.phone != nil) THEN \(patch.phone ?? nil) ELSE c.phone END,
                        password_hash = coalesce(\(patch.passwordHash), c.password_hash),
                        metadata = CASE
                            WHEN \(patch.metadataSet)::jsonb IS NULL AND cardinality(\(patch.metadataRemove)::text[]) = 0 THEN c.metadata
                            ELSE (coalesce(c.metadata, '{}'::jsonb) || coalesce(\(patch.metadataSet)::jsonb, '{}'::jsonb)) - \(patch.metadataRemove)::text[]
                        END,
                        updated_at = now(),
                        version = c.version + 1
                    WHERE c.id = \(id)
                    RETURNING \(Customer.columns)
                    """)
            } catch let error as PostgresError where error.isUniqueViolation {
                throw CustomerError.duplicateEmail
            }
            try await connection.query(
                events.record("customer.updated", argsFrom: "SELECT jsonb_build_object('customer_id', \(id)::text) AS args"))
            return try Customer(row: rows.first!)
        }
    }

    /// Soft delete, with its `customer.deleted` event, in one statement. False when there was no such
    /// live customer.
    public func delete(id: String) async throws -> Bool {
        let rows = try await database.query(
            """
            WITH c AS (
                UPDATE customer SET deleted_at = now(), updated_at = now(), version = version + 1
                WHERE id = \(id) AND deleted_at IS NULL
                RETURNING id
            ), event AS (
                \(events.record("customer.deleted", argsFrom: "SELECT jsonb_build_object('customer_id', id) AS args FROM c"))
            )
            SELECT id, (SELECT count(*) FROM event) FROM c
            """)
        return rows.rowCount == 1
    }

    // MARK: Relations, loaded for a page of customers at once

    /// Live addresses of each customer, oldest first.
    public func shippingAddresses(of customerIDs: [String]) async throws -> [String: [Address]] {
        let rows = try await database.query(
            """
            SELECT \(Address.columns) FROM address a
            WHERE a.customer_id = ANY(\(customerIDs)::text[]) AND a.deleted_at IS NULL
            ORDER BY a.created_at, a.id
            """)
        var byCustomer: [String: [Address]] = [:]
        for row in rows.rows {
            let address = try Address(row: row)
            byCustomer[address.customerID ?? "", default: []].append(address)
        }
        return byCustomer
    }

    /// Addresses by id (for `billing_address`).
    public func addresses(ids: [String]) async throws -> [String: Address] {
        let rows = try await database.query(
            "SELECT \(Address.columns) FROM address a WHERE a.id = ANY(\(ids)::text[]) AND a.deleted_at IS NULL")
        var byID: [String: Address] = [:]
        for row in rows.rows {
            let address = try Address(row: row)
            byID[address.id] = address
        }
        return byID
    }

    /// Live groups of each customer, by name.
    public func groups(of customerIDs: [String]) async throws -> [String: [CustomerGroup]] {
        let rows = try await database.query(
            """
            SELECT m.customer_id, \(CustomerGroup.columns)
            FROM customer_group_customers m JOIN customer_group g ON g.id = m.customer_group_id
            WHERE m.customer_id = ANY(\(customerIDs)::text[]) AND g.deleted_at IS NULL
            ORDER BY g.name, g.id
            """)
        var byCustomer: [String: [CustomerGroup]] = [:]
        for row in rows.rows {
            byCustomer[try row.decode(String.self, at: 0), default: []].append(try CustomerGroup(row: row, offset: 1))
        }
        return byCustomer
    }
}
