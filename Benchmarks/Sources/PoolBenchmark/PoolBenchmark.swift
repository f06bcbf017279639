// pool-benchmark: point SELECTs of customers by primary key from many concurrent tasks through the
// pipelined path of `Database`, for `make bench-pool` (which runs pgbench on the same SELECT beside it).
//   pool-benchmark <database-url> [tasks=64] [seconds=10] [pipelines=2]
import Foundation
import Postgres

@main
struct PoolBenchmark {
    static func main() async {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2 else {
            FileHandle.standardError.write(Data("usage: pool-benchmark DATABASE_URL [tasks] [seconds] [pipelines]\n".utf8))
            exit(2)
        }
        let url = arguments[1]
        let tasks = arguments.count > 2 ? Int(arguments[2]) ?? 64 : 64
        let seconds = arguments.count > 3 ? Double(arguments[3]) ?? 10 : 10
        var configuration = PoolConfiguration()
        configuration.pipelines = arguments.count > 4 ? Int(arguments[4]) ?? 2 : 2
        let database = Database(
            options: ConnectionOptions(url: url, applicationName: "clientele-pool-benchmark"), configuration: configuration)
        do {
            let count = try await measure(database, tasks: tasks, seconds: seconds)
            print(String(format: "pool-benchmark: %d tasks, %d pipelines, %.0f s: %d queries, %.0f queries/s",
                         tasks, configuration.pipelines, seconds, count, Double(count) / seconds))
        } catch {
            FileHandle.standardError.write(Data("pool-benchmark: \(error)\n".utf8))
            exit(1)
        }
        database.shutdown()
    }

    /// `tasks` concurrent loops of point SELECTs for `seconds`; returns how many found their row.
    static func measure(_ database: Database, tasks: Int, seconds: Double) async throws -> Int {
        let ids = try await database.query("SELECT id FROM bench_ids ORDER BY n").rows.map { try $0.decode(String.self, at: 0) }
        precondition(!ids.isEmpty, "bench_ids is empty: seed the database first")
        let deadline = Date().addingTimeInterval(seconds)
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var count = 0
                    var index = task * 7919
                    while Date() < deadline {
                        let id = ids[index % ids.count]
                        index += 1
                        let rows = try await database.query(
                            """
                            SELECT id, email, first_name, last_name, billing_address_id, phone, has_account,
                                   created_at, updated_at, deleted_at, metadata
                            FROM customer WHERE id = \(id) AND deleted_at IS NULL
                            """)
                        if rows.rowCount == 1 { count += 1 }
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
    }
}
