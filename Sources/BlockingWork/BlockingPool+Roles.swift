import Foundation

/// How big each kind of process makes its one `BlockingPool`: one constructor per role, so that the sizing is
/// written once. The threads are a sum of the calls that may block at the same time:
/// - one per leased connection: a statement (or the connect that opens it) holds a thread while it runs, and
///   at most `leasedConnections` run at once;
/// - one per hashing slot (`hashingSlots(workers:)`): each password hash holds a thread while it runs;
/// - one per job a process runs at once, where a job makes a blocking call of its own (a mail delivery);
/// - in a long-running process, two to spare: an idle thread costs little, and a call not counted above (a
///   copy given up by its reader, a reconnect) then never waits behind statements.
extension BlockingPool {
    /// A `serve` worker, one of `workers` forked processes: its leased connections, its share of the cores
    /// for password hashes, two to spare. `machineHashing`, made by the master before it forked, keeps the
    /// hashes of all the workers to the cores' worth when there are more workers than cores.
    public static func forServeWorker(
        leasedConnections: Int, workers: Int, machineHashing: MachineHashingBound?
    ) -> BlockingPool {
        let hashing = hashingSlots(workers: workers)
        return BlockingPool(
            threads: leasedConnections + hashing + 2, hashingSlots: hashing, machineHashing: machineHashing)
    }

    /// The `clientele worker` process (alone on its machine's cores): its leased connections, the cores'
    /// worth of password hashes (an import hashes its rows' passwords), one thread for each of the
    /// `concurrentJobs` it runs at once (a welcome email blocks one for its SMTP transfer), two to spare.
    public static func forJobWorker(leasedConnections: Int, concurrentJobs: Int) -> BlockingPool {
        let hashing = hashingSlots(workers: 1)
        return BlockingPool(threads: leasedConnections + hashing + concurrentJobs + 2, hashingSlots: hashing)
    }

    /// A one-shot command (`migrate`, `create-user`, `seed`…): its leased connections and the cores' worth
    /// of password hashes; it runs nothing else.
    public static func forCommand(leasedConnections: Int) -> BlockingPool {
        let hashing = hashingSlots(workers: 1)
        return BlockingPool(threads: leasedConnections + hashing, hashingSlots: hashing)
    }
}
