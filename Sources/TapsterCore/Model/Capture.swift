import Foundation

extension Capture {
    /// Where a capture stands.
    public enum State: String, Codable, Sendable, CaseIterable {
        /// A stored capture through a grant that requires approval, waiting for an admin's: nothing is captured,
        /// no agent has its tap, and no object is open. Approved, it becomes `live` (its deadline counted from the
        /// approval); rejected, withdrawn or unanswered, it ends `failed` without having started.
        case pending
        /// Packets are flowing (the tap is live, or its last packets are being written).
        case live
        /// Ended; a stored capture's object is ready for download.
        case complete
        /// Ended without a usable result (`failure_reason` says why).
        case failed
        /// Its stored object was deleted (by a user, or by retention).
        case deleted
    }
}

/// Why a capture ended.
public enum CaptureEndReason: String, Codable, Sendable, CaseIterable {
    /// The tap's deadline passed.
    case deadline
    /// Someone stopped it (the tap, or the capture was deleted).
    case stopped
    /// The packet count (`-c`) was reached.
    case packetLimit = "packet_limit"
    /// The byte limit was reached.
    case byteLimit = "byte_limit"
    /// Its tenant's stored-bytes quota was reached (a stored capture).
    case storedBytesQuota = "stored_bytes_quota"
    /// The reader of a streamed capture went away (or never came).
    case clientGone = "client_gone"
    /// Its reader's right to its packets ended while it read (the user was disabled or deleted, or lost
    /// the entitlement): the stream was cut.
    case readerRevoked = "reader_revoked"
    /// Every agent said it sent its last packets.
    case agentsFinished = "agents_finished"
    /// The server shut down while it ran (its pcapng was closed properly).
    case serverShutdown = "server_shutdown"
    /// The server could not finish it (the failure reason says why).
    case failed
    /// It waited for approval and an admin rejected it (the failure reason says who and why): it never started.
    case rejected
    /// It waited for approval and nobody answered before the request expired: it never started.
    case approvalExpired = "approval_expired"
}

/// Counters of one interface of a capture — one Interface Description Block of its pcapng, named
/// `host/workload/interface` — as its Interface Statistics Block states them.
public struct CaptureInterfaceStatistics: Codable, Sendable, Equatable {
    /// `host/workload/interface`, the pcapng `if_name`.
    public var name: String
    /// The agent that captured it.
    public var agent: String
    /// Packets the agent captured, as it last reported (the capture record and the ISB state
    /// ``interfaceReceived`` instead).
    public var received: UInt64
    /// Packets written into the capture.
    public var packets: UInt64
    /// Dropped by the kernel before libpcap read them.
    public var kernelDrops: UInt64
    /// Dropped by the agent (bandwidth cap, full buffer).
    public var agentDrops: UInt64
    /// Dropped by the server because the capture's buffer was full (a slow reader or store), or captured by
    /// the agent but arrived after the capture closed.
    public var serverDrops: UInt64

    public init(name: String, agent: String, received: UInt64 = 0, packets: UInt64 = 0, kernelDrops: UInt64 = 0,
                agentDrops: UInt64 = 0, serverDrops: UInt64 = 0) {
        self.name = name
        self.agent = agent
        self.received = received
        self.packets = packets
        self.kernelDrops = kernelDrops
        self.agentDrops = agentDrops
        self.serverDrops = serverDrops
    }

    /// What the interface received (`isb_ifrecv`): what its agent captured plus what the kernel dropped
    /// before libpcap could read it — and never less than what was written plus every drop (an agent's
    /// counters are sent once a second and may lag its packets).
    public var interfaceReceived: UInt64 {
        let (stated, overflow) = received.addingReportingOverflow(kernelDrops)
        let (accounted, overflowed) = packets.addingReportingOverflow(drops)
        return max(overflow ? .max : stated, overflowed ? .max : accounted)
    }

    /// Every drop (`isb_ifdrop`), saturating.
    public var drops: UInt64 {
        [kernelDrops, agentDrops, serverDrops].reduce(UInt64(0)) { sum, next in
            let (value, overflow) = sum.addingReportingOverflow(next)
            return overflow ? .max : value
        }
    }
}

/// The packets a `stream` or `store` tap produced: one merged pcapng, streamed to its owner or kept in
/// the capture store until it expires. Its id is its tap's.
public struct Capture: Codable, Sendable, Equatable, Identifiable {
    /// The id of the tap the capture runs as.
    public var id: String
    public var tenant: String?
    /// The name of the user who asked for it, as it was then (shown; never used to decide anything).
    public var owner: String
    /// The id of the user who asked for it, who (with admins and the ``readers`` an admin entitled) may read
    /// its packets (``Policy/mayReadPackets(_:of:)``). `nil` only when that user no longer exists.
    public var ownerID: String?
    /// The grant's filter and target.
    public var filter: String
    public var target: String
    public var mode: CaptureMode
    public var state: State
    public var createdAt: Date
    /// When the tap ends by itself; while the capture is `pending`, when its request expires unanswered.
    public var deadline: Date
    public var endedAt: Date?
    public var endReason: CaptureEndReason?
    public var failureReason: String?
    /// Where a stored capture's object is (its key in the capture store).
    public var objectKey: String?
    /// Bytes of pcapng written so far (the object's size once stored).
    public var size: Int64
    /// Packets written so far.
    public var packets: UInt64
    /// Every drop so far, whatever its cause (the sum over ``interfaces``).
    public var drops: UInt64
    /// Per interface (one per host, workload and interface), in the order they appeared.
    public var interfaces: [CaptureInterfaceStatistics]
    /// When a stored capture is deleted by retention; nil for a streamed one.
    public var expiresAt: Date?
    /// Stretches during which a host sent nothing (its agent was killed or cut off): what it would have
    /// captured then is missing and counted nowhere else. Absent (nil) when there were none.
    public var absences: [CaptureAbsence]?
    /// Packets that reached the merge after a later one had been written (beyond its reorder window, or behind
    /// a host's watermark): written at once, so the file goes back in time there. Absent (nil) when none.
    public var outOfOrderPackets: UInt64?
    /// Users other than its owner an admin entitled to read its packets (``Policy/mayReadPackets(_:of:)``),
    /// by user id. Kept apart from the record in the store, so deleting a user ends theirs; filled in on
    /// every read (an empty list when there are none).
    public var readers: [CaptureReaderEntitlement]?
    /// For a stored capture of a tenant with a stored-bytes quota: the most bytes of pcapng it may write,
    /// what was left of the quota when it began (reserved for it while it runs).
    public var storedBytesAllowance: UInt64?
    /// The replica that runs it (its reader is there, and agents send its packets there); nil on a capture
    /// recorded before replicas were named.
    public var replica: CaptureReplica?
    /// What it holds less than its flags asked, said when it started — a snaplen capped by its target's payload, a
    /// look-back cut short by its owner's entitlement or by a workload's joining its tenant — kept with it, so that
    /// whoever reads it later is told too (a capture that started on an admin's approval answered no one then).
    /// Absent (nil) when there were none, and on a capture recorded before they were kept.
    public var warnings: [String]?

    public init(id: String, tenant: String?, owner: String, ownerID: String? = nil, filter: String, target: String, mode: CaptureMode,
                state: State = .live, createdAt: Date, deadline: Date, objectKey: String? = nil, expiresAt: Date? = nil) {
        self.id = id
        self.tenant = tenant
        self.owner = owner
        self.ownerID = ownerID
        self.filter = filter
        self.target = target
        self.mode = mode
        self.state = state
        self.createdAt = createdAt
        self.deadline = deadline
        self.objectKey = objectKey
        self.size = 0
        self.packets = 0
        self.drops = 0
        self.interfaces = []
        self.expiresAt = expiresAt
    }

    /// Hosts (agents) that sent packets, in order of appearance.
    public var hosts: [String] {
        var seen = Set<String>()
        return interfaces.map(\.agent).filter { seen.insert($0).inserted }
    }

    /// Server drops per agent, for the tap's per-host counters.
    public var serverDropsByAgent: [String: UInt64] {
        interfaces.reduce(into: [:]) { $0[$1.agent, default: 0] &+= $1.serverDrops }
    }
}

/// A stretch of a capture during which one host's agent sent nothing — killed, restarted, or cut off
/// from the server — so the packets it would have captured then are missing. The pcapng says so too: a
/// comment on the host's first packet after it came back and on its interfaces' statistics blocks.
public struct CaptureAbsence: Codable, Sendable, Equatable {
    /// The host (agent) that was absent.
    public var host: String
    /// The last time the server heard from it before the absence.
    public var from: Date
    /// When it was heard from again, or the capture's end if it never was; nil while it is still absent.
    public var until: Date?

    public init(host: String, from: Date, until: Date?) {
        self.host = host
        self.from = from
        self.until = until
    }
}

/// A capture as the API answers its creation: the capture, the tap it runs as, and warnings (e.g. the
/// snaplen was capped by the target's payload, or nothing matches yet).
public struct CaptureView: Codable, Sendable, Equatable {
    public var capture: Capture
    public var warnings: [String]

    public init(capture: Capture, warnings: [String] = []) {
        self.capture = capture
        self.warnings = warnings
    }

    private enum CodingKeys: String, CodingKey { case warnings }

    public init(from decoder: any Decoder) throws {
        capture = try Capture(from: decoder)
        warnings = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent([String].self, forKey: .warnings) ?? []
    }

    /// One `warnings` key: the answer's, followed by any of the capture's own (``Capture/warnings``) it does not repeat.
    public func encode(to encoder: any Encoder) throws {
        var bare = capture
        bare.warnings = nil
        try bare.encode(to: encoder)
        let all = warnings + (capture.warnings ?? []).filter { !warnings.contains($0) }
        if !all.isEmpty {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(all, forKey: .warnings)
        }
    }
}

/// `POST /api/v1/captures/{id}/download-url`: a URL that fetches the stored capture without a token
/// until it expires.
public struct CaptureDownloadLink: Codable, Sendable, Equatable {
    /// The absolute URL, when the server was told where users reach it (`tapster serve --external-url`).
    public var url: String?
    /// The path and query, to append to the server's base URL.
    public var path: String
    public var expiresAt: Date

    public init(url: String?, path: String, expiresAt: Date) {
        self.url = url
        self.path = path
        self.expiresAt = expiresAt
    }
}
