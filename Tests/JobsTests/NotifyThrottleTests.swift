import Jobs
import Testing

@Suite struct NotifyThrottleTests {
    @Test func theFirstEnqueueNotifiesAndTheNextOnesWithinTheIntervalDoNot() {
        let throttle = NotifyThrottle(interval: 3600)
        #expect(throttle.shouldNotify())
        #expect(!throttle.shouldNotify())
        #expect(!throttle.shouldNotify())
    }

    @Test func aZeroIntervalNotifiesEveryTime() {
        let throttle = NotifyThrottle(interval: 0)
        #expect((0..<5).allSatisfy { _ in throttle.shouldNotify() })
    }

    @Test func onlyOneOfManyConcurrentCallersNotifies() async {
        let throttle = NotifyThrottle(interval: 3600)
        let notified = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<100 { group.addTask { throttle.shouldNotify() } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(notified == 1)
    }
}
