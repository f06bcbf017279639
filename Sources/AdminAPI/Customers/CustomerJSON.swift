import Customers
import JSON
import Postgres

/// Writes customers, addresses and groups as the API's JSON.
enum CustomerJSON {
    static func write(_ customer: Customer, shape: CustomerShape, into writer: inout JSONWriter) {
        writer.beginObject()
        let fields = shape.fields
        func wants(_ field: CustomerField) -> Bool { fields?.contains(field) ?? true }
        writer.key("id")
        writer.string(customer.id)
        if wants(.email) { writer.key("email"); writer.string(customer.email) }
        if wants(.first_name) { writer.key("first_name"); writer.string(customer.firstName) }
        if wants(.last_name) { writer.key("last_name"); writer.string(customer.lastName) }
        if wants(.billing_address_id) { writer.key("billing_address_id"); writer.string(customer.billingAddressID) }
        if wants(.phone) { writer.key("phone"); writer.string(customer.phone) }
        if wants(.has_account) { writer.key("has_account"); writer.bool(customer.hasAccount) }
        if wants(.metadata) { writer.key("metadata"); writer.raw(customer.metadata?.text) }
        if wants(.created_at) { writer.key("created_at"); writer.string(customer.createdAt.iso8601Milliseconds) }
        if wants(.updated_at) { writer.key("updated_at"); writer.string(customer.updatedAt.iso8601Milliseconds) }
        if wants(.deleted_at) { writer.key("deleted_at"); writer.string(customer.deletedAt?.iso8601Milliseconds) }
        if shape.expand.contains(.billing_address) {
            writer.key("billing_address")
            if let address = customer.billingAddress ?? nil { write(address, into: &writer) } else { writer.null() }
        }
        if shape.expand.contains(.shipping_addresses) {
            writer.key("shipping_addresses")
            writer.beginArray()
            for address in customer.shippingAddresses ?? [] { write(address, into: &writer) }
            writer.endArray()
        }
        if shape.expand.contains(.groups) {
            writer.key("groups")
            writer.beginArray()
            for group in customer.groups ?? [] { write(group, into: &writer) }
            writer.endArray()
        }
        writer.endObject()
    }

    static func write(_ address: Address, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("id"); writer.string(address.id)
        writer.key("customer_id"); writer.string(address.customerID)
        writer.key("company"); writer.string(address.company)
        writer.key("first_name"); writer.string(address.firstName)
        writer.key("last_name"); writer.string(address.lastName)
        writer.key("address_1"); writer.string(address.address1)
        writer.key("address_2"); writer.string(address.address2)
        writer.key("city"); writer.string(address.city)
        writer.key("country_code"); writer.string(address.countryCode)
        writer.key("province"); writer.string(address.province)
        writer.key("postal_code"); writer.string(address.postalCode)
        writer.key("phone"); writer.string(address.phone)
        writer.key("metadata"); writer.raw(address.metadata?.text)
        writer.key("created_at"); writer.string(address.createdAt.iso8601Milliseconds)
        writer.key("updated_at"); writer.string(address.updatedAt.iso8601Milliseconds)
        writer.key("deleted_at"); writer.string(address.deletedAt?.iso8601Milliseconds)
        writer.endObject()
    }

    /// A group with the `fields` asked for (nil: all), and its customers when they were loaded.
    static func write(_ group: CustomerGroup, fields: Set<CustomerGroupField>? = nil, into writer: inout JSONWriter) {
        func wants(_ field: CustomerGroupField) -> Bool { fields?.contains(field) ?? true }
        writer.beginObject()
        writer.key("id"); writer.string(group.id)
        if wants(.name) { writer.key("name"); writer.string(group.name) }
        if wants(.metadata) { writer.key("metadata"); writer.raw(group.metadata?.text) }
        if wants(.created_at) { writer.key("created_at"); writer.string(group.createdAt.iso8601Milliseconds) }
        if wants(.updated_at) { writer.key("updated_at"); writer.string(group.updatedAt.iso8601Milliseconds) }
        if wants(.deleted_at) { writer.key("deleted_at"); writer.string(group.deletedAt?.iso8601Milliseconds) }
        if let customers = group.customers {
            writer.key("customers")
            writer.beginArray()
            for customer in customers { write(customer, shape: CustomerShape(expand: [], fields: nil), into: &writer) }
            writer.endArray()
        }
        writer.endObject()
    }
}
