import Foundation
import TapsterCore

/// Which flow records to read: every field narrows the result.
public struct FlowQuery: Sendable, Equatable {
    /// Only flows of workloads of these tenants (the tapped workload's, when it was recorded); `nil` for all.
    public var tenants: Set<String>?
    /// Only flows seen (last) at or after this time.
    public var since: Date?
    /// Only flows whose tapped workload is one of these, as `host/workload`; `nil` for every one.
    public var workloads: Set<String>?
    /// The newest (by last seen) this many; `nil` for all.
    public var limit: Int?

    public init(tenants: Set<String>? = nil, since: Date? = nil, workloads: Set<String>? = nil, limit: Int? = nil) {
        self.tenants = tenants
        self.since = since
        self.workloads = workloads
        self.limit = limit
    }
}

/// A flow record as stored: with the tenant of its tapped workload when it was recorded (what owners'
/// reads are scoped by).
public struct StoredFlow: Sendable, Equatable {
    public var record: FlowRecord
    public var tenant: String?

    public init(record: FlowRecord, tenant: String?) {
        self.record = record
        self.tenant = tenant
    }
}

/// Where flow records and the HTTP exchanges read from them are kept, apart from the rest of the store:
/// they are many, written by agents every few seconds, and pruned by retention.
public protocol FlowStore: Sendable {
    /// Records flows: a flow already stored (same ``FlowRecord/key``) is replaced by its newer record — counters
    /// are totals — and each record's HTTP exchanges are added to the flow's.
    func recordFlows(_ flows: [StoredFlow]) async throws
    /// Flows matching `query`, newest last seen first, without their HTTP exchanges.
    func flows(_ query: FlowQuery) async throws -> [StoredFlow]
    /// The HTTP exchanges of the flows matching `query` (each with its flow, without the flow's other exchanges),
    /// by time of request.
    func httpExchanges(_ query: FlowQuery) async throws -> [(flow: StoredFlow, exchange: HTTPExchange)]
    /// Deletes the flows last seen before `time`, with their exchanges, and the exchanges requested before it;
    /// returns how many flows went.
    @discardableResult
    func pruneFlows(before time: Date) async throws -> Int
}

extension FlowKey {
    /// The key as the store's primary key: every part, in order (the key is the natural one: no hash to collide).
    var storageID: String {
        [tapID, host, workload, interface, String(ipProtocol), client.description, server.description,
         String(firstSeen.millisecondsSince1970)].joined(separator: "|")
    }
}
