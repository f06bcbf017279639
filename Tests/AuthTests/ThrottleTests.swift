import Postgres
import Testing

@testable import Auth

/// The fixture allows 3 failures per email and 5 per address within 15 minutes.
@Suite struct ThrottleTests {
    func fail(_ f: AuthFixture, email: String, address: String) async {
        await #expect(throws: AuthError.invalidCredentials) {
            try await f.auth.login(email: email, password: "wrong", clientAddress: address)
        }
    }

    /// What Retry-After may be when the oldest counted failure happened after `start`: the whole window
    /// less the time that passed since (a loaded machine may take many seconds for the failures).
    func windowLeft(since start: ContinuousClock.Instant) -> ClosedRange<Int> {
        let elapsed = Int((ContinuousClock.now - start).components.seconds) + 1
        return (900 - elapsed)...900
    }

    func retryAfter(_ f: AuthFixture, email: String, password: String, address: String) async -> Int? {
        do {
            _ = try await f.auth.login(email: email, password: password, clientAddress: address)
            return nil
        } catch AuthError.throttled(let seconds) {
            return seconds
        } catch {
            return -1
        }
    }

    @Test func afterMaxFailuresForAnEmailEvenTheRightPasswordIsThrottledFromAnyAddress() async throws {
        try await AuthFixture.with { (f) async throws in
            try await f.users.create(email: "admin@example.com", password: "s3cret!")
            let start = ContinuousClock.now
            for index in 1...3 { await fail(f, email: "admin@example.com", address: "10.0.0.\(index)") }
            let seconds = await retryAfter(f, email: "ADMIN@example.com", password: "s3cret!", address: "10.9.9.9")
            #expect(seconds.map { windowLeft(since: start).contains($0) } == true, "\(String(describing: seconds))")
            // Another email from the same addresses is not affected.
            try await f.users.create(email: "other@example.com", password: "s3cret!")
            _ = try await f.auth.login(email: "other@example.com", password: "s3cret!", clientAddress: "10.0.0.1")
            // Refused attempts are not recorded: the count stays at the limit.
            #expect(try f.count("SELECT count(*)::int FROM login_failure WHERE email = 'admin@example.com'") == 3)
        }
    }

    @Test func afterMaxFailuresFromAnAddressEveryEmailIsThrottledFromIt() async throws {
        try await AuthFixture.with { (f) async throws in
            try await f.users.create(email: "admin@example.com", password: "s3cret!")
            let start = ContinuousClock.now
            for index in 1...5 { await fail(f, email: "guess\(index)@example.com", address: "192.0.2.7") }
            let seconds = await retryAfter(f, email: "admin@example.com", password: "s3cret!", address: "192.0.2.7")
            #expect(seconds.map { windowLeft(since: start).contains($0) } == true, "\(String(describing: seconds))")
            _ = try await f.auth.login(email: "admin@example.com", password: "s3cret!", clientAddress: "192.0.2.8")
        }
    }

    @Test func retryAfterIsWhenTheOldestCountedFailureLeavesTheWindow() async throws {
        try await AuthFixture.with { (f) async throws in
            try await f.users.create(email: "admin@example.com", password: "s3cret!")
            // Failures 800, 600 and 300 seconds ago, and one from before the window that no longer counts.
            let start = ContinuousClock.now
            _ = try f.sql(
                """
                INSERT INTO login_failure (email, address, failed_at)
                SELECT 'admin@example.com', 'a' || s, now() - s * interval '1 second'
                  FROM unnest(ARRAY[800, 600, 300, 1000]) AS s
                """)
            let seconds = await retryAfter(f, email: "admin@example.com", password: "s3cret!", address: "10.0.0.1")
            let elapsed = Int((ContinuousClock.now - start).components.seconds) + 1
            #expect(seconds.map { (100 - elapsed...101).contains($0) } == true, "\(String(describing: seconds))")
            // Once the oldest of them has left the window, the right password works again.
            _ = try f.sql("UPDATE login_failure SET failed_at = failed_at - interval '101 seconds' WHERE address = 'a800'")
            _ = try await f.auth.login(email: "admin@example.com", password: "s3cret!", clientAddress: "10.0.0.1")
        }
    }

    @Test func aSuccessfulLoginClearsTheEmailsFailures() async throws {
        try await AuthFixture.with { (f) async throws in
            try await f.users.create(email: "admin@example.com", password: "s3cret!")
            for _ in 1...2 { await fail(f, email: "admin@example.com", address: "10.0.0.1") }
            _ = try await f.auth.login(email: "admin@example.com", password: "s3cret!", clientAddress: "10.0.0.1")
            for _ in 1...2 { await fail(f, email: "admin@example.com", address: "10.0.0.2") }
            _ = try await f.auth.login(email: "admin@example.com", password: "s3cret!", clientAddress: "10.0.0.2")
        }
    }

    @Test func recordingAFailurePrunesThatEmailsExpiredRows() async throws {
        try await AuthFixture.with { (f) async throws in
            _ = try f.sql(
                "INSERT INTO login_failure (email, address, failed_at) VALUES ('x@example.com', 'old', now() - interval '1 hour')")
            await fail(f, email: "x@example.com", address: "10.0.0.1")
            #expect(try f.count("SELECT count(*)::int FROM login_failure") == 1)
        }
    }
}
