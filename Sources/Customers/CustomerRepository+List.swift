import Postgres

/// A page of a customer list.
public struct CustomerPage: Sendable {
    public var customers: [Customer]
    /// The exact number of customers the filter matches (not only those after a cursor).
    public var count: Int
    /// Where the next page starts; nil when no row follows this page.
    public var next: CustomerListPosition?
}

extension CustomerRepository {
    /// One page and the exact number of matches, in one statement. Without a search, group or time filter
    /// the count is read from `customer_counter` instead of counting rows, and the page is a walk down the
    /// index of the sort key (migration 0008) from the cursor's position, so any page costs what the first
    /// one costs.
    ///
    /// With a filter, the matches are found once: their ids and sort keys are kept (a MATERIALIZED CTE),
    /// counted, and the page is cut from them. Counting and paging as two scans did the work twice, and the
    /// page's scan could be a walk down the created_at index that filters row by row: with `q=mar` and the
    /// newest 139,000 customers not matching it read 139,000 rows for 20 (91 of 104 ms). A cursor page cuts
    /// the rows after its position from the same matches: a top-N sort as for the first page, whatever the
    /// depth (an OFFSET keeps offset + limit rows in that sort).
    ///
    /// One row more than the limit is read, to know whether another page follows.
    public func list(_ query: CustomerListQuery) async throws -> CustomerPage {
        if query.limit == 0 {
            let countOnly: SQL =
                query.isCountedByCounter
                ? Self.counterTotal(query) : "SELECT count(*) FROM customer c WHERE \(query.conditions)"
            let total = try await run(countOnly, mayBeSlow: !query.isCountedByCounter)
            return CustomerPage(customers: [], count: try total.first!.decode(Int.self, at: 0), next: nil)
        }
        let rows = try await run(
            query.isCountedByCounter ? Self.indexedPage(query) : Self.filteredPage(query),
            mayBeSlow: !query.isCountedByCounter || query.offset > 10_000)
        guard let first = rows.first else { return CustomerPage(customers: [], count: 0, next: nil) }
        var page = CustomerPage(customers: [], count: try first.decode(Int.self, at: 0), next: nil)
        page.customers.reserveCapacity(min(rows.rowCount, query.limit))
        for row in rows.rows where !row.result.isNull(row: row.index, column: 1) {
            if page.customers.count == query.limit {
                // The row beyond the limit: another page follows, starting after the last row kept.
                let last = rows[row.index - 1]
                page.next = CustomerListPosition(key: last.text(at: Self.sortTextColumn), id: try last.decode(at: 1))
                break
            }
            page.customers.append(try Customer(row: row, offset: 1))
        }
        return page
    }

    /// The page's column holding the sort key as text (after the total and the customer's 12 columns).
    static let sortTextColumn = 13

    /// The customer's columns and its sort key as text, for a page.
    private static func pageColumns(_ query: CustomerListQuery) -> SQL {
        "\(Customer.columns), (\(unsafeRaw: query.orderField.sortKey("c")))::text AS sort_text"
    }

    /// No filter but has_account: the page walks the sort key's index (from the cursor's position, if any),
    /// and the total comes from the counter. A nullable key's position may need two walks (the values, then
    /// the NULLs): each is its own index range, run as a branch of a UNION ALL, each limited.
    private static func indexedPage(_ query: CustomerListQuery) -> SQL {
        let fetch = query.limit + 1
        func walk(_ branch: SQL?) -> SQL {
            let condition: SQL = branch.map { "\(query.conditions) AND \($0)" } ?? query.conditions
            return """
                SELECT \(pageColumns(query)) FROM customer c WHERE \(condition)
                ORDER BY \(query.orderBy("c")) LIMIT \(fetch) OFFSET \(query.offset)
                """
        }
        let branches = query.keysetBranches(key: query.orderField.sortKey("c"), id: "c.id")
        let source: SQL =
            branches.count <= 1 ? walk(branches.first) : SQL.join(branches.map { "(\(walk($0)))" }, " UNION ALL ")
        return """
            SELECT (\(counterTotal(query))) AS total, page.*
            FROM (SELECT 1) AS one
            LEFT JOIN LATERAL (\(source)) AS page ON true
            ORDER BY \(query.orderBy("page")) LIMIT \(fetch)
            """
    }

    /// A search, group or time filter: its matches are found once, counted, and the page is cut from them.
    private static func filteredPage(_ query: CustomerListQuery) -> SQL {
        let branches = query.keysetBranches(key: "m.sort_key", id: "m.id")
        let after: SQL = branches.isEmpty ? "true" : "(" + SQL.join(branches, ") OR (") + ")"
        return """
            WITH matches AS MATERIALIZED (
                SELECT c.id, \(unsafeRaw: query.orderField.sortKey("c")) AS sort_key FROM customer c WHERE \(query.conditions)
            )
            SELECT (SELECT count(*) FROM matches) AS total, page.*
            FROM (SELECT 1) AS one
            LEFT JOIN LATERAL (
                SELECT \(pageColumns(query)) FROM customer c
                WHERE c.id IN (
                    SELECT m.id FROM matches m WHERE \(after)
                    ORDER BY \(query.orderBy(key: "m.sort_key", id: "m.id")) LIMIT \(query.limit + 1) OFFSET \(query.offset)
                )
            ) AS page ON true
            ORDER BY \(query.orderBy("page"))
            """
    }

    /// The number of live customers (with the has_account filter, if any) from the counter's slots.
    private static func counterTotal(_ query: CustomerListQuery) -> SQL {
        "SELECT coalesce(sum(live), 0)::bigint FROM customer_counter WHERE \(query.hasAccount)::boolean IS NULL OR has_account = \(query.hasAccount)::boolean"
    }

    /// A statement that may take long (a search or filter counts every match; a deep OFFSET walks the
    /// index) runs on a leased connection of its own: on a pipelined connection it would hold up every
    /// statement batched behind it.
    func run(_ sql: SQL, mayBeSlow: Bool) async throws -> QueryResult {
        guard mayBeSlow else { return try await database.query(sql) }
        return try await database.withConnection { connection in try await connection.query(sql) }
    }
}
