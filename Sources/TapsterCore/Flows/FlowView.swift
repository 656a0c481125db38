import Foundation

/// A flow as a principal sees it: the record, and the workload at each end when one is known and visible
/// to them (``Policy/flowPeer(_:visibleTo:)``); otherwise that end is its address alone.
public struct FlowView: Codable, Sendable, Hashable {
    public var flow: FlowRecord
    public var clientWorkload: FlowPeer?
    public var serverWorkload: FlowPeer?

    public init(flow: FlowRecord, clientWorkload: FlowPeer?, serverWorkload: FlowPeer?) {
        self.flow = flow
        self.clientWorkload = clientWorkload
        self.serverWorkload = serverWorkload
    }

    /// Whether either end is a workload `selector` matches.
    public func either(matches selector: LabelSelector) -> Bool {
        [clientWorkload, serverWorkload].contains { $0.map { selector.matches($0.labels) } ?? false }
    }

    /// Whether one end matches `selector` and the other `peer`.
    public func connects(_ selector: LabelSelector, to peer: LabelSelector) -> Bool {
        let matches = { (side: FlowPeer?, selector: LabelSelector) in side.map { selector.matches($0.labels) } ?? false }
        return (matches(clientWorkload, selector) && matches(serverWorkload, peer))
            || (matches(serverWorkload, selector) && matches(clientWorkload, peer))
    }
}

/// Which flows a listing returns (`tapster flows`, `GET /api/v1/flows`), beyond what the principal may see.
public struct FlowSelection: Sendable, Equatable {
    /// Flows with a workload this matches at either end (hubble's `-l`).
    public var selector: LabelSelector?
    /// And with a workload this matches at the other end.
    public var peer: LabelSelector?
    /// Seen at or after this time.
    public var since: Date?
    /// At most this many, newest first.
    public var limit: Int

    public static let defaultLimit = 1000
    public static let maximumLimit = 10_000

    public init(selector: LabelSelector? = nil, peer: LabelSelector? = nil, since: Date? = nil, limit: Int = defaultLimit) {
        self.selector = selector
        self.peer = peer
        self.since = since
        self.limit = limit
    }

    /// Whether `view` is selected.
    public func selects(_ view: FlowView) -> Bool {
        switch (selector, peer) {
        case (nil, nil): true
        case (let selector?, nil): view.either(matches: selector)
        case (nil, let peer?): view.either(matches: peer)
        case (let selector?, let peer?): view.connects(selector, to: peer)
        }
    }
}
