/// How long a failed job waits before its next attempt: attempt⁴ seconds, ±10 % at random so that jobs
/// that failed together (a mail server outage) do not all come back in the same second.
/// 1 s, 16 s, 81 s, 4 min, 10 min, … 20 attempts span about 12 days.
public enum Backoff {
    public static let jitter = 0.1

    public static func seconds(afterAttempt attempt: Int, random: Double = Double.random(in: -1...1)) -> Double {
        let base = Double(max(1, attempt))
        return base * base * base * base * (1 + jitter * random)
    }
}
