extension Database {
    /// True when the database answers a trivial statement now (`/ready`): the question belongs to the module
    /// that owns the connections, so the HTTP layer runs no SQL of its own.
    public func answers() async -> Bool {
        do {
            try await query("SELECT 1")
            return true
        } catch {
            return false
        }
    }
}
