import CLibPQ
import Glibc
import Synchronization

/// The one statement every prototype serves: the product's `CustomerRepository.find(id:)`.
let pointReadSQL = """
    SELECT c.id, c.email, c.first_name, c.last_name, c.billing_address_id, c.phone, c.has_account, c.metadata,
           c.created_at, c.updated_at, c.deleted_at
    FROM customer c WHERE c.id = $1 AND c.deleted_at IS NULL
    """

/// A libpq result, freed with its last reference. Immutable once made.
final class ResultRows: @unchecked Sendable {  // immutable PGresult, read-only after creation
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { PQclear(pointer) }
    var rowCount: Int { Int(PQntuples(pointer)) }
    func isNull(_ column: Int) -> Bool { PQgetisnull(pointer, 0, Int32(column)) == 1 }
    func bytes(_ column: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: PQgetvalue(pointer, 0, Int32(column)), count: Int(PQgetlength(pointer, 0, Int32(column))))
    }
    func text(_ column: Int) -> String? { isNull(column) ? nil : String(decoding: bytes(column), as: UTF8.self) }
}

struct PrototypeError: Error, CustomStringConvertible {
    let description: String
}

/// One point read waiting for its result; answered exactly once.
final class PendingRead: Sendable {
    let id: String
    private let continuation = Mutex<CheckedContinuation<ResultRows, any Error>?>(nil)

    init(id: String) { self.id = id }

    func attach(_ continuation: CheckedContinuation<ResultRows, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    func finish(_ result: Result<ResultRows, any Error>) {
        let waiting = continuation.withLock { value in
            defer { value = nil }
            return value
        }
        waiting?.resume(with: result)
    }
}

/// A connection in pipeline mode with `pointReadSQL` prepared as "c"; non-blocking when asked.
func openPipelinedConnection(_ url: String, nonBlocking: Bool) throws -> OpaquePointer {
    guard let handle = PQconnectdb(url), PQstatus(handle) == CONNECTION_OK else {
        throw PrototypeError(description: "cannot connect to \(url)")
    }
    PQclear(PQexec(handle, "SET DateStyle TO 'ISO'; SET TimeZone TO 'UTC'"))
    let prepared = PQprepare(handle, "c", pointReadSQL, 1, nil)
    defer { PQclear(prepared) }
    guard PQresultStatus(prepared) == PGRES_COMMAND_OK else {
        throw PrototypeError(description: String(cString: PQerrorMessage(handle)))
    }
    guard PQenterPipelineMode(handle) == 1, PQsetnonblocking(handle, nonBlocking ? 1 : 0) == 0 else {
        throw PrototypeError(description: "no pipeline mode")
    }
    return handle
}

/// Sends one point read and its sync; false when libpq refused (a broken connection).
func sendPointRead(_ handle: OpaquePointer, id: String) -> Bool {
    id.withCString { value in
        var values: [UnsafePointer<CChar>?] = [value]
        return PQsendQueryPrepared(handle, "c", 1, &values, nil, nil, 0) == 1
    } && PQpipelineSync(handle) == 1
}

/// What the prototypes all answer with.
protocol PointReads: Sendable {
    func read(id: String) async throws -> ResultRows
}
