import Identifiers
import Postgres

/// The address fields a client may set (already validated); nil leaves a field as it is.
public struct AddressFields: Sendable {
    public var company: String??
    public var firstName: String??
    public var lastName: String??
    public var address1: String??
    public var address2: String??
    public var city: String??
    public var countryCode: String??
    public var province: String??
    public var postalCode: String??
    public var phone: String??
    public var metadataSet: JSONText?
    public var metadataRemove: [String] = []

    public init() {}
}

/// All SQL about a customer's addresses. A change of the billing address, or of an address, raises the
/// customer's version (its ETag covers `shipping_addresses`).
public struct AddressRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    public func list(customerID: String, limit: Int, offset: Int) async throws -> (addresses: [Address], count: Int) {
        let rows = try await database.query(
            """
            SELECT (SELECT c.id FROM customer c WHERE c.id = \(customerID) AND c.deleted_at IS NULL),
                   (SELECT count(*) FROM address a WHERE a.customer_id = \(customerID) AND a.deleted_at IS NULL),
                   page.*
            FROM (SELECT 1) AS one
            LEFT JOIN LATERAL (
                SELECT \(Address.columns) FROM address a
                WHERE a.customer_id = \(customerID) AND a.deleted_at IS NULL
                ORDER BY a.created_at, a.id LIMIT \(limit) OFFSET \(offset)
            ) AS page ON true
            """)
        let first = rows.first!
        guard try first.decode(String?.self, at: 0) != nil else { throw CustomerError.customerNotFound(customerID) }
        let addresses = try rows.rows.filter { !$0.result.isNull(row: $0.index, column: 2) }.map { try Address(row: $0, offset: 2) }
        return (addresses, try first.decode(Int.self, at: 1))
    }

    public func create(customerID: String, _ fields: AddressFields, isDefaultBilling: Bool) async throws -> Address {
        try await database.withTransaction { connection in
            try await lockCustomer(customerID, on: connection)
            let id = makeID(prefix: "addr")
            let row = try await connection.query(
                """
                INSERT INTO address AS a (id, customer_id, company, first_name, last_name, address_1, address_2, city,
                                          country_code, province, postal_code, phone, metadata)
                VALUES (\(id), \(customerID), \(fields.company ?? nil), \(fields.firstName ?? nil), \(fields.lastName ?? nil),
                        \(fields.address1 ?? nil), \(fields.address2 ?? nil), \(fields.city ?? nil), \(fields.countryCode ?? nil),
                        \(fields.province ?? nil), \(fields.postalCode ?? nil), \(fields.phone ?? nil), \(fields.metadataSet)::jsonb)
                RETURNING \(Address.columns)
                """
            ).first!
            try await touchCustomer(customerID, billingAddressID: isDefaultBilling ? id : nil, on: connection)
            return try Address(row: row)
        }
    }

    public func update(customerID: String, addressID: String, _ fields: AddressFields, isDefaultBilling: Bool) async throws -> Address {
        try await database.withTransaction { connection in
            try await lockCustomer(customerID, on: connection)
            func set(_ value: String??, _ column: String) -> SQL {
                "\(unsafeRaw: column) = CASE WHEN \(value != nil) THEN \(value ?? nil) ELSE a.\(unsafeRaw: column) END"
            }
            let assignments = SQL.join(
                [
                    set(fields.company, "company"), set(fields.firstName, "first_name"), set(fields.lastName, "last_name"),
                    set(fields.address1, "address_1"), set(fields.address2, "address_2"), set(fields.city, "city"),
                    set(fields.countryCode, "country_code"), set(fields.province, "province"),
                    set(fields.postalCode, "postal_code"), set(fields.phone, "phone"),
                ], ", ")
            let rows = try await connection.query(
                """
                UPDATE address a SET \(assignments),
                    metadata = CASE
                        WHEN \(fields.metadataSet)::jsonb IS NULL AND cardinality(\(fields.metadataRemove)::text[]) = 0 THEN a.metadata
                        ELSE (coalesce(a.metadata, '{}'::jsonb) || coalesce(\(fields.metadataSet)::jsonb, '{}'::jsonb)) - \(fields.metadataRemove)::text[]
                    END,
                    updated_at = now()
                WHERE a.id = \(addressID) AND a.customer_id = \(customerID) AND a.deleted_at IS NULL
                RETURNING \(Address.columns)
                """)
            guard let row = rows.first else { throw CustomerError.addressNotFound(addressID) }
            try await touchCustomer(customerID, billingAddressID: isDefaultBilling ? addressID : nil, on: connection)
            return try Address(row: row)
        }
    }

    /// Soft delete; a customer whose billing address it was has none afterwards.
    public func delete(customerID: String, addressID: String) async throws {
        try await database.withTransaction { connection in
            try await lockCustomer(customerID, on: connection)
            let rows = try await connection.query(
                """
                UPDATE address SET deleted_at = now(), updated_at = now()
                WHERE id = \(addressID) AND customer_id = \(customerID) AND deleted_at IS NULL
                RETURNING id
                """)
            guard rows.rowCount == 1 else { throw CustomerError.addressNotFound(addressID) }
            try await connection.query(
                """
                UPDATE customer SET version = version + 1, updated_at = now(),
                    billing_address_id = CASE WHEN billing_address_id = \(addressID) THEN NULL ELSE billing_address_id END
                WHERE id = \(customerID)
                """)
        }
    }

    private func lockCustomer(_ customerID: String, on connection: LeasedConnection) async throws {
        let rows = try await connection.query(
            "SELECT id FROM customer WHERE id = \(customerID) AND deleted_at IS NULL FOR UPDATE")
        guard rows.rowCount == 1 else { throw CustomerError.customerNotFound(customerID) }
    }

    private func touchCustomer(_ customerID: String, billingAddressID: String?, on connection: LeasedConnection) async throws {
        try await connection.query(
            """
            UPDATE customer SET version = version + 1, updated_at = now(),
                billing_address_id = coalesce(\(billingAddressID), billing_address_id)
            WHERE id = \(customerID)
            """)
    }
}
