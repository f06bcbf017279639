/// The statements prepared on one connection: SQL text → the name it was prepared under, at most `capacity`
/// of them. Each prepared statement holds its parse tree and plans in the backend's memory, so an
/// unbounded cache grows with every distinct text a process ever sends; past the bound the least recently
/// used one goes, and the caller DEALLOCATEs the name it is given back.
///
/// Names come from a counter and are never reused on the connection (`<prefix>1`, `<prefix>2`, …), so a
/// name that was evicted cannot be confused with a newer statement. A hit costs one hash of the text; an
/// eviction scans for the oldest entry, which is rare (the texts a program sends are a fixed set).
struct PreparedStatementCache {
    private struct Entry {
        let name: String
        var lastUsed: UInt64
    }

    let prefix: String
    let capacity: Int
    private var entries: [String: Entry] = [:]
    private var clock: UInt64 = 0
    private var lastNumber = 0

    init(prefix: String, capacity: Int) {
        self.prefix = prefix
        self.capacity = max(1, capacity)
    }

    var count: Int { entries.count }

    /// The name `text` was prepared under, marking it as just used; nil when it is not prepared.
    mutating func name(for text: String) -> String? {
        // One hash of the text (a statement's text is hundreds of bytes), not one to read and one to write.
        guard let index = entries.index(forKey: text) else { return nil }
        clock += 1
        entries.values[index].lastUsed = clock
        return entries.values[index].name
    }

    /// Records `text` under a new name. Returns that name and, when the cache was full, the name of the
    /// least recently used statement, which the caller must DEALLOCATE.
    mutating func insert(_ text: String) -> (name: String, evicted: String?) {
        var evicted: String?
        if entries.count >= capacity, let oldest = entries.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            entries[oldest.key] = nil
            evicted = oldest.value.name
        }
        lastNumber += 1
        clock += 1
        let name = "\(prefix)\(lastNumber)"
        entries[text] = Entry(name: name, lastUsed: clock)
        return (name, evicted)
    }

    /// Forgets `text` if it is still recorded under `name` (its PREPARE failed).
    mutating func remove(_ text: String, ifNamed name: String) {
        if entries[text]?.name == name { entries[text] = nil }
    }

    /// The connection was replaced: nothing is prepared on the new one.
    mutating func removeAll() {
        entries = [:]
    }
}
