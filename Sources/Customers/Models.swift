import Postgres

/// A shop customer (Medusa v1's `customer`), as stored. The password hash is never part of it.
public struct Customer: Sendable {
    public var id: String
    public var email: String
    public var firstName: String?
    public var lastName: String?
    public var billingAddressID: String?
    public var phone: String?
    public var hasAccount: Bool
    /// The jsonb object as PostgreSQL printed it.
    public var metadata: JSONText?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var deletedAt: Timestamp?
    /// Raised by every committed change; the ETag.
    public var version: Int

    /// Relations, loaded only when asked for.
    public var billingAddress: Address??
    public var shippingAddresses: [Address]?
    public var groups: [CustomerGroup]?

    static let columns: SQL = """
        c.id, c.email, c.first_name, c.last_name, c.billing_address_id, c.phone, c.has_account, c.metadata, \
        c.created_at, c.updated_at, c.deleted_at, c.version
        """

    /// Reads the columns of `columns`, starting at `offset`.
    init(row: Row, offset: Int = 0) throws {
        id = try row.decode(at: offset)
        email = try row.decode(at: offset + 1)
        firstName = try row.decode(at: offset + 2)
        lastName = try row.decode(at: offset + 3)
        billingAddressID = try row.decode(at: offset + 4)
        phone = try row.decode(at: offset + 5)
        hasAccount = try row.decode(at: offset + 6)
        metadata = try row.decode(at: offset + 7)
        createdAt = try row.decode(at: offset + 8)
        updatedAt = try row.decode(at: offset + 9)
        deletedAt = try row.decode(at: offset + 10)
        version = try row.decode(at: offset + 11)
    }
}

/// A customer's address (Medusa v1's `address`).
public struct Address: Sendable {
    public var id: String
    public var customerID: String?
    public var company: String?
    public var firstName: String?
    public var lastName: String?
    public var address1: String?
    public var address2: String?
    public var city: String?
    public var countryCode: String?
    public var province: String?
    public var postalCode: String?
    public var phone: String?
    public var metadata: JSONText?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var deletedAt: Timestamp?

    static let columns: SQL = """
        a.id, a.customer_id, a.company, a.first_name, a.last_name, a.address_1, a.address_2, a.city, \
        a.country_code, a.province, a.postal_code, a.phone, a.metadata, a.created_at, a.updated_at, a.deleted_at
        """

    init(row: Row, offset: Int = 0) throws {
        id = try row.decode(at: offset)
        customerID = try row.decode(at: offset + 1)
        company = try row.decode(at: offset + 2)
        firstName = try row.decode(at: offset + 3)
        lastName = try row.decode(at: offset + 4)
        address1 = try row.decode(at: offset + 5)
        address2 = try row.decode(at: offset + 6)
        city = try row.decode(at: offset + 7)
        countryCode = try row.decode(at: offset + 8)
        province = try row.decode(at: offset + 9)
        postalCode = try row.decode(at: offset + 10)
        phone = try row.decode(at: offset + 11)
        metadata = try row.decode(at: offset + 12)
        createdAt = try row.decode(at: offset + 13)
        updatedAt = try row.decode(at: offset + 14)
        deletedAt = try row.decode(at: offset + 15)
    }
}

/// A named group of customers (Medusa v1's `customer_group`).
public struct CustomerGroup: Sendable {
    public var id: String
    public var name: String
    public var metadata: JSONText?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var deletedAt: Timestamp?
    /// Loaded only when asked for.
    public var customers: [Customer]?

    static let columns: SQL = "g.id, g.name, g.metadata, g.created_at, g.updated_at, g.deleted_at"

    init(row: Row, offset: Int = 0) throws {
        id = try row.decode(at: offset)
        name = try row.decode(at: offset + 1)
        metadata = try row.decode(at: offset + 2)
        createdAt = try row.decode(at: offset + 3)
        updatedAt = try row.decode(at: offset + 4)
        deletedAt = try row.decode(at: offset + 5)
    }
}

/// What the domain refuses, in its own words; the API turns each into its status and message.
public enum CustomerError: Error, Equatable, Sendable {
    case customerNotFound(String)
    case addressNotFound(String)
    case groupNotFound(String)
    /// A group named in a customer update does not exist.
    case unknownGroup(String)
    /// Customer ids named in a batch that do not exist, in the order given.
    case unknownCustomers([String])
    case duplicateEmail
    case duplicateGroupName(String)
    case emailChangeNotAllowed
    /// `If-Match` named another version.
    case versionMismatch
}
