import Customers

/// Loads the relations a response expands, for a page of customers at once (one query per relation,
/// asked for concurrently so that the pipeline sends them together).
struct CustomerRelations {
    let customers: CustomerRepository

    struct Loaded: Sendable {
        var shipping: [String: [Address]]?
        var groups: [String: [CustomerGroup]]?
    }

    func fetch(_ relations: Set<CustomerRelation>, customerIDs: [String]) async throws -> Loaded {
        guard !customerIDs.isEmpty else { return Loaded() }
        async let shipping = relations.contains(.shipping_addresses) ? customers.shippingAddresses(of: customerIDs) : nil
        async let groups = relations.contains(.groups) ? customers.groups(of: customerIDs) : nil
        return Loaded(shipping: try await shipping, groups: try await groups)
    }

    /// Fills in the relations of one customer; the billing address needs the customer's row first.
    func apply(_ loaded: Loaded, to customer: inout Customer) async throws {
        if let shipping = loaded.shipping { customer.shippingAddresses = shipping[customer.id] ?? [] }
        if let groups = loaded.groups { customer.groups = groups[customer.id] ?? [] }
    }

    func load(_ relations: Set<CustomerRelation>, into customer: inout Customer) async throws {
        var page = [customer]
        try await load(relations, into: &page)
        customer = page[0]
    }

    func load(_ relations: Set<CustomerRelation>, into page: inout [Customer]) async throws {
        guard !relations.isEmpty, !page.isEmpty else { return }
        let ids = page.map(\.id)
        let billingIDs = page.compactMap(\.billingAddressID)
        async let loaded = fetch(relations, customerIDs: ids)
        async let billing = relations.contains(.billing_address) && !billingIDs.isEmpty
            ? customers.addresses(ids: billingIDs) : [:]
        let (relationsLoaded, billingAddresses) = try await (loaded, billing)
        for index in page.indices {
            try await apply(relationsLoaded, to: &page[index])
            if relations.contains(.billing_address) {
                page[index].billingAddress = .some(page[index].billingAddressID.flatMap { billingAddresses[$0] })
            }
        }
    }

    func loadBillingAddress(into customer: inout Customer) async throws {
        guard let id = customer.billingAddressID else {
            customer.billingAddress = .some(nil)
            return
        }
        customer.billingAddress = .some(try await customers.addresses(ids: [id])[id])
    }
}
