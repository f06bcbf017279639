import BlockingWork
import CShims

/// The rules of a lease, the same for every holder of a leased connection (`LeasedConnection`, `RowCursor`,
/// `CopyOutStream`): statements run with `runLeased`; one that lost the connection marks the lease lost, and
/// every later statement of the lease fails at once with a connection error instead of trying again; at the
/// end, `LeasePool.release` hands the connection on only if `isReusableAfterLease`.
extension Connection {
    /// The deadline of a leased statement: `timeout` seconds from now, else the statement timeout plus a
    /// second (see `LeasedConnection`).
    func leaseDeadline(_ timeout: Double?) -> UInt64? {
        guard let seconds = timeout ?? options.statementTimeout.map({ $0 + 1 }) else { return nil }
        return monotonicNanoseconds() + UInt64(max(0, seconds) * 1e9)
    }

    /// Runs `body` on `blocking`; the task's cancellation interrupts the statement (a cancel request). An
    /// error that left the connection dead comes back as a connection error (`isConnectionLost`) and marks
    /// the lease lost: the statements after it throw without reaching libpq.
    func runLeased<T: Sendable>(
        on blocking: BlockingPool, _ body: @escaping @Sendable (Connection) throws -> T
    ) async throws -> T {
        if isLostInLease { throw PostgresError.connection("connection lost earlier in this lease") }
        do {
            return try await withTaskCancellationHandler {
                try await blocking.run { try body(self) }
            } onCancel: {
                interrupt()
            }
        } catch let error as PostgresError {
            if !error.isConnectionLost && isAlive { throw error }
            markLostInLease()
            throw PostgresError(kind: .connection, message: error.message, sqlState: error.sqlState, detail: error.detail)
        }
    }

    /// Whether the pool may hand the connection to the next holder when this lease ends: not if it was lost,
    /// not if the holder left a transaction open, and not if a cancel request was sent for one of its
    /// statements (a request that arrives late would stop the next holder's statement).
    func isReusableAfterLease(inTransaction: Bool) -> Bool {
        !isLostInLease && !inTransaction && !sentCancelRequest
    }
}
