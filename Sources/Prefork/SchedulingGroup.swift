import Glibc

/// Where `serve` stands in the kernel's CPU scheduler.
///
/// With `CONFIG_SCHED_AUTOGROUP` (on in Debian's and Ubuntu's kernels), CPU time is shared first between
/// sessions, then between the threads of a session. PostgreSQL started by pg_ctl or a shell is a session of
/// its own, and a light one: its backends run in short bursts. Next to a session of busy worker threads,
/// the scheduler gave a pipelined backend no CPU for 150–500 ms at a time (measured: batches of 8–24
/// point reads waiting that long for their first result), and the p99 of GET /admin/customers/:id went
/// from 5 ms to whole seconds under load. A lower priority for serve's session cures it: the database,
/// and anything else on the machine, gets the CPU first when it asks for it, and the workers take all
/// the rest (throughput was unchanged: 19–24k req/s either way).
///
/// Only a session that serve leads is changed (as under systemd, compose, `setsid`, or a supervisor that
/// starts it that way): a session shared with a shell or a script would take them down with it. Inside a
/// cgroup of its own (a container, a systemd unit) autogroups do not apply and this changes nothing.
enum SchedulingGroup {
    /// Called by the master before it forks, so that every worker is in the same session. Returns whether
    /// the nice value was set; without autogroups (or /proc) serve keeps the scheduling it had.
    static func lowerOwnSession(nice: Int) -> Bool {
        guard nice > 0, getsid(0) == getpid() else { return false }
        let descriptor = open("/proc/self/autogroup", O_WRONLY)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let text = String(nice)
        return text.withCString { write(descriptor, $0, strlen($0)) } > 0
    }
}
