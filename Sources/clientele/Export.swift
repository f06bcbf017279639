import AdminAPI
import ArgumentParser
import Customers
import Foundation
import Logging
import Postgres

/// `clientele export customers [filters] > file.csv`: what GET /admin/customers/export answers, on standard
/// output, by the same code (the route's parameter reader, then `CustomerExport`).
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export data as CSV to standard output.", subcommands: [Customers.self])

    struct Customers: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every customer the filters match, in their order, as CSV (as GET /admin/customers/export).",
            discussion: """
                Filters are the export's query parameters, one key=value argument each:
                  clientele export customers q=mar has_account=true 'groups[]=cgrp_…' \\
                    'created_at[gte]=2024-01-01T00:00:00Z' order=-email > customers.csv
                """)

        @Argument(help: "Filters: q, has_account, groups[], created_at[lt|gt|lte|gte], updated_at[…], order.")
        var filters: [String] = []

        func run() throws {
            let url = Environment().databaseURL
            LineLogHandler.bootstrap(Environment())
            let query: CustomerListQuery
            do {
                query = try CustomerExportFilters.query(arguments: filters)
            } catch {
                fail("export customers: \(oneLine(error))")
            }
            let started = Date()
            do {
                let rows = try withDatabase(url: url, command: "export") { database in
                    let export = try await CustomerExport.open(query, database: database)
                    var bytes = 0
                    do {
                        while let chunk = try await export.nextChunk() {
                            try Self.writeToStandardOutput(chunk)
                            bytes += chunk.count
                        }
                    } catch {
                        await export.close()
                        throw error
                    }
                    await export.close()
                    return bytes
                }
                // Standard output is the file: the summary is a log line on standard error.
                Logger(label: "clientele.export").info(
                    "exported customers",
                    metadata: ["bytes": "\(rows)", "seconds": "\(String(format: "%.1f", Date().timeIntervalSince(started)))"])
            } catch {
                fail("export customers: \(oneLine(error))")
            }
        }

        static func writeToStandardOutput(_ bytes: [UInt8]) throws {
            var written = 0
            while written < bytes.count {
                let result = bytes.withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress! + written, $0.count - written) }
                if result < 0 {
                    if errno == EINTR { continue }
                    throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                }
                written += result
            }
        }
    }
}
