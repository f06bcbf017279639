import Foundation
import Postgres
import SharedMetrics

/// The admin API's metrics and their place in the shared rows: requests by route and status, a latency
/// histogram by route, and the pool's state. Every worker process writes its own row; a scrape sums them.
public struct HTTPMetrics: Sendable {
    /// Routes are numbered in the order they are registered (the same in every worker); 0 is "no route".
    public static let maximumRoutes = 64
    static let statuses = [200, 201, 204, 400, 401, 403, 404, 405, 412, 413, 422, 429, 431, 499, 500, 503]
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    static var statusSlots: Int { statuses.count + 1 }  // + "other"
    static var histogramSlots: Int { buckets.count + 3 }  // buckets, +Inf, sum (µs), count
    static var requestsBase: Int { 0 }
    static var histogramBase: Int { maximumRoutes * statusSlots }
    static var poolTimeoutsCounter: Int { histogramBase + maximumRoutes * histogramSlots }

    /// Counters and gauges a shared region needs for this layout.
    public static let counterCount = poolTimeoutsCounter + 1
    public static let gaugeCount = 4
    enum Gauge: Int, CaseIterable {
        case inUse, idle, waiting, pipelinedInFlight
    }

    let region: SharedMetricsRegion
    let row: SharedMetricsRow

    public init(region: SharedMetricsRegion, row: Int) {
        self.region = region
        self.row = region.row(row)
    }

    /// A region for one process (when not forked, e.g. in tests).
    public static func standalone() -> HTTPMetrics {
        HTTPMetrics(region: SharedMetricsRegion(rows: 1, counters: counterCount, gauges: gaugeCount), row: 0)
    }

    func record(route: Int, status: Int, seconds: Double, pool: PoolStatistics.Snapshot) {
        let route = min(route, Self.maximumRoutes - 1)
        let statusIndex = Self.statuses.firstIndex(of: status) ?? Self.statuses.count
        row.increment(Self.requestsBase + route * Self.statusSlots + statusIndex)
        let histogram = Self.histogramBase + route * Self.histogramSlots
        let bucket = Self.buckets.firstIndex { seconds <= $0 } ?? Self.buckets.count
        row.increment(histogram + bucket)
        row.increment(histogram + Self.buckets.count + 1, by: UInt64(max(0, seconds * 1_000_000)))
        row.increment(histogram + Self.buckets.count + 2)
        row.set(gauge: Gauge.inUse.rawValue, to: UInt64(pool.inUse))
        row.set(gauge: Gauge.idle.rawValue, to: UInt64(pool.idle))
        row.set(gauge: Gauge.waiting.rawValue, to: UInt64(pool.waiting))
        row.set(gauge: Gauge.pipelinedInFlight.rawValue, to: UInt64(pool.pipelinedInFlight))
        // The pool counts this process's timeouts; its row mirrors that count. Raised atomically to the value
        // read (never added to): two requests recording at once cannot count a timeout twice.
        row.raise(Self.poolTimeoutsCounter, to: UInt64(pool.timeouts))
    }

    /// The Prometheus text exposition of every worker's totals, plus the queue's state (from `JobQueue`).
    func exposition(routes: [(method: String, path: String)], jobs: [(state: String, count: Int)]) -> String {
        var text = ""
        text += "# HELP clientele_http_requests_total HTTP requests answered, by route and status (all workers).\n"
        text += "# TYPE clientele_http_requests_total counter\n"
        let names = [("", "unmatched")] + routes.map { ($0.method, $0.path) }
        for (route, (method, path)) in names.enumerated() where route < Self.maximumRoutes {
            for statusIndex in 0..<Self.statusSlots {
                let value = region.totalCounter(Self.requestsBase + route * Self.statusSlots + statusIndex)
                guard value > 0 else { continue }
                let status = statusIndex < Self.statuses.count ? String(Self.statuses[statusIndex]) : "other"
                text += "clientele_http_requests_total{method=\"\(method)\",route=\"\(path)\",status=\"\(status)\"} \(value)\n"
            }
        }
        text += "# HELP clientele_http_request_duration_seconds Time from request head to response, by route.\n"
        text += "# TYPE clientele_http_request_duration_seconds histogram\n"
        for (route, (method, path)) in names.enumerated() where route < Self.maximumRoutes {
            let histogram = Self.histogramBase + route * Self.histogramSlots
            let count = region.totalCounter(histogram + Self.buckets.count + 2)
            guard count > 0 else { continue }
            let labels = "method=\"\(method)\",route=\"\(path)\""
            var cumulative: UInt64 = 0
            for (index, bound) in Self.buckets.enumerated() {
                cumulative += region.totalCounter(histogram + index)
                text += "clientele_http_request_duration_seconds_bucket{\(labels),le=\"\(bound)\"} \(cumulative)\n"
            }
            text += "clientele_http_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(count)\n"
            let sum = Double(region.totalCounter(histogram + Self.buckets.count + 1)) / 1_000_000
            text += "clientele_http_request_duration_seconds_sum{\(labels)} \(sum)\n"
            text += "clientele_http_request_duration_seconds_count{\(labels)} \(count)\n"
        }
        text += "# HELP clientele_db_pool_connections Leased database connections by state (all workers).\n"
        text += "# TYPE clientele_db_pool_connections gauge\n"
        text += "clientele_db_pool_connections{state=\"in_use\"} \(region.totalGauge(Gauge.inUse.rawValue))\n"
        text += "clientele_db_pool_connections{state=\"idle\"} \(region.totalGauge(Gauge.idle.rawValue))\n"
        text += "# HELP clientele_db_pool_waiting Callers waiting for a connection or queued for a pipeline.\n"
        text += "# TYPE clientele_db_pool_waiting gauge\n"
        text += "clientele_db_pool_waiting \(region.totalGauge(Gauge.waiting.rawValue))\n"
        text += "# HELP clientele_db_pipelined_in_flight Statements sent on pipelined connections, not yet answered.\n"
        text += "# TYPE clientele_db_pipelined_in_flight gauge\n"
        text += "clientele_db_pipelined_in_flight \(region.totalGauge(Gauge.pipelinedInFlight.rawValue))\n"
        text += "# HELP clientele_db_pool_timeouts_total Callers that gave up waiting for a connection (answered 503).\n"
        text += "# TYPE clientele_db_pool_timeouts_total counter\n"
        text += "clientele_db_pool_timeouts_total \(region.totalCounter(Self.poolTimeoutsCounter))\n"
        text += "# HELP clientele_jobs Jobs in the queue by state.\n"
        text += "# TYPE clientele_jobs gauge\n"
        for (state, count) in jobs { text += "clientele_jobs{state=\"\(state)\"} \(count)\n" }
        return text
    }
}
