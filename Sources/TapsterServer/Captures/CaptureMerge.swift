import Foundation
import PacketKit
import TapsterCore
import TapsterWire

/// The merge of one capture: agents' packet batches in, one pcapng out — one Interface Description
/// Block per (host, workload, interface), packets in timestamp order across agents (PacketKit's
/// ``PcapngLiveMerger`` with its bounded reorder window), an Interface Statistics Block per interface
/// at the end.
///
/// A value type with no I/O: the caller feeds batches and the time, and drains the bytes written.
/// It keeps within a byte budget: a packet that would make the bytes it holds plus the bytes the
/// caller still holds (`queued`) exceed ``budget`` is dropped and counted on its interface, and so
/// are packets beyond the packet or byte limit (those are not drops: the capture has ended).
///
/// It trusts no agent with what only the server can vouch for: packets are cut to the target's
/// snaplen here (their original length kept), whatever the agent says it cut them to; and a host
/// whose stream broke off (its agent killed, restarted, cut off) is recorded as absent — in the
/// summary, on its interfaces' statistics blocks, and on its first packet after it came back — since
/// no drop counter can say what it never sent.
struct CaptureMerge {
    /// What one agent sends.
    private struct Source {
        var id: PcapngLiveMerger.SourceID
        /// The agent's interface index → (the merger's local id for this source, the output interface id).
        var interfaces: [UInt32: (local: UInt32, output: Int)] = [:]
        var localCount: UInt32 = 0
        /// The agent said it sent its last batch.
        var finished = false
        /// When its last batch came (server time, ns).
        var lastHeard: UInt64
        /// The counters its earlier streams ended with, and the ones its current stream last reported, by
        /// agent interface index: a restarted agent counts from 0 again.
        var earlierCounters: [UInt32: AgentCounters] = [:]
        var counters: [UInt32: AgentCounters] = [:]
        /// A new stream began and its first counters have not come yet: they say whether the agent
        /// restarted (counting from 0) or only reconnected (counting on).
        var countersMayRestart = false
        /// Said on the next packet this source sends (after it came back from an absence).
        var note: String?
    }

    /// One interface's counters as an agent reports them.
    private struct AgentCounters {
        var received: UInt64 = 0
        var kernelDrops: UInt64 = 0
        var agentDrops: UInt64 = 0

        static func + (a: Self, b: Self) -> Self {
            Self(received: a.received &+ b.received, kernelDrops: a.kernelDrops &+ b.kernelDrops, agentDrops: a.agentDrops &+ b.agentDrops)
        }
    }

    /// The most bytes held (in the merger plus the caller's queue).
    let budget: Int
    let packetLimit: UInt64?
    let byteLimit: UInt64?
    /// The most bytes the packets' blocks may take in the file (a stored capture under its tenant's quota).
    let storedBytesAllowance: UInt64?
    /// When the capture started, ns since the epoch (the ISBs' `isb_starttime`).
    let startTime: UInt64
    /// The agents expected to send (see ``CaptureStart/expectedAgents``).
    let expectedAgents: Set<String>
    /// The most bytes kept of a packet (the target's payload); nil: what the agent sent.
    let snapLength: UInt32?

    private var merger: PcapngLiveMerger
    private var writer = PcapngWriter(reservingCapacity: 64 << 10)
    private var sources: [String: Source] = [:]
    /// By output interface id.
    private(set) var interfaces: [CaptureInterfaceStatistics] = []
    /// Packets and packet bytes taken into the capture.
    private(set) var packets: UInt64 = 0
    private(set) var packetBytes: UInt64 = 0
    /// The most bytes the packets taken take as blocks (each packet's bytes and ``blockOverhead``).
    private var packetBlockBytes: UInt64 = 0
    /// Bytes of pcapng drained so far.
    private(set) var bytesWritten: Int64 = 0
    /// Set when ``packetLimit``, ``byteLimit`` or ``storedBytesAllowance`` was reached: no packet is taken any more.
    private(set) var limitReached: CaptureEndReason?
    /// Packets that named an interface their agent never described (a broken agent), ignored.
    private(set) var unknownInterfacePackets: UInt64 = 0
    /// Batches whose blocks were not valid pcapng (the packets before the damage were taken).
    private(set) var damagedBatches: UInt64 = 0
    private(set) var finished = false
    /// Hosts that were absent, closed stretches (see ``CaptureAbsence``), in order.
    private(set) var absences: [CaptureAbsence] = []

    /// The most bytes an EPB adds to its packet: 28 of header, 4 of trailer, up to 3 of padding, and 12
    /// for `epb_flags` and the end of options.
    static let blockOverhead = 47

    init(budget: Int, packetLimit: UInt64?, byteLimit: UInt64?, reorderWindow: UInt64, startTime: UInt64,
         expectedAgents: Set<String> = [], snapLength: UInt32? = nil, storedBytesAllowance: UInt64? = nil) {
        self.budget = budget
        self.storedBytesAllowance = storedBytesAllowance
        self.snapLength = snapLength.flatMap { $0 == 0 ? nil : $0 }
        self.expectedAgents = expectedAgents
        self.packetLimit = packetLimit
        self.byteLimit = byteLimit
        self.startTime = startTime
        // Agents' streams open at different moments: until every expected agent has opened its stream (or for
        // at most ``joinPeriod``) every packet waits out the window, so a host whose first batch comes later is
        // still merged in order; after that a packet goes as soon as every host has sent something later.
        merger = PcapngLiveMerger(reorderWindow: reorderWindow,
                                  sectionHeader: PcapngSectionHeader(operatingSystem: Self.operatingSystem, userApplication: "Tapster"),
                                  sourcesMayJoin: true)
        writer.writeSectionHeader(merger.sectionHeader)
    }

    /// Bytes the merger holds, waiting for their turn: packets and their block headers. (An agent's block kept
    /// whole is plain, so its header, padding and options are within ``blockOverhead`` too.)
    var heldBytes: Int { merger.bufferedBytes + merger.bufferedCount * Self.blockOverhead }

    /// Packets whose agent's block went to the file as it came, its interface id replaced (the others re-encoded).
    var packetsPassedThrough: UInt64 { merger.rawBlocksKept }

    /// Whether every agent that sent anything said it sent its last batch (false when none sent).
    var allSourcesFinished: Bool { !sources.isEmpty && sources.values.allSatisfy(\.finished) }

    /// Every drop so far, whatever its cause.
    var drops: UInt64 { interfaces.reduce(0) { $0 &+ $1.drops } }

    /// Takes one agent's batch: new interfaces, packets (within the budget and limits), counters, `last`.
    /// `queued` is what the caller holds of earlier output (it counts against the budget).
    mutating func ingest(agent: String, _ batch: Tapster_Agent_V1_PacketBatch, queued: Int, now: UInt64) {
        guard !finished else { return }
        var source = self.source(for: agent, now: now)
        // Every stream opens with its interfaces: describing again an interface it described already, an
        // agent that did not say it was done shows that its earlier stream broke off.
        if sources[agent]?.finished == false, batch.interfaces.contains(where: { source.interfaces[$0.index] != nil }) {
            resumed(agent, &source, now: now)
        }
        source.lastHeard = now
        for interface in batch.interfaces { describe(interface, of: agent, in: &source) }
        let outcome: Result<Void, PcapngPacketRunError<Never>> = batch.blocks.withUnsafeBytes { bytes in
            Result { () throws(PcapngPacketRunError<Never>) in
                try PcapngPacketRun.forEachPacket(in: bytes) { packet in take(packet, from: &source, queued: queued) }
            }
        }
        if case .failure = outcome { damagedBatches += 1 }
        if !batch.counters.isEmpty { count(batch.counters, of: &source) }
        // An idle host's "nothing older from me": the others' packets before it go out now, not after the
        // window. (A watermark ahead of the agent's own later packets only makes those late: counted, kept.)
        if batch.watermarkNs > 0, !batch.last { merger.advance(source.id, to: batch.watermarkNs) }
        if batch.last {
            source.finished = true
            merger.closeSource(source.id)
        }
        sources[agent] = source
        if merger.sourcesMayJoin, !expectedAgents.isEmpty, expectedAgents.allSatisfy({ sources[$0] != nil }) {
            merger.sourcesMayJoin = false
        }
        advance(to: now)
    }

    /// Lets quiet periods flush: packets older than `now` minus the reorder window are released. Once the
    /// join period is over, packets stop waiting out the whole window.
    mutating func advance(to now: UInt64) {
        if merger.sourcesMayJoin, now >= startTime &+ Self.joinPeriod { merger.sourcesMayJoin = false }
        merger.advanceClock(to: now)
    }

    /// The longest packets wait out the whole reorder window for expected agents to open their streams (they
    /// get the capture's tap within a second). Afterwards a packet waits only until every host has sent
    /// something later — the memory is then the rate times the hosts' skew (their batches leave every 20 ms),
    /// not times the window. A host that starts sending only later (a workload that appears mid-capture) may
    /// bring a few packets out of order; they are kept.
    static let joinPeriod: UInt64 = 2_000_000_000

    /// A host counts as absent once it has been silent this long: an agent sends its counters every second.
    static let silenceLimit: UInt64 = 3_000_000_000

    /// Every absence so far, the ones still going on (a host silent for longer than ``silenceLimit``)
    /// open-ended — or, once the capture has ended, ended at `now`.
    func absences(at now: UInt64) -> [CaptureAbsence] {
        var all = absences
        guard !finished else { return all }
        for (agent, source) in sources.sorted(by: { $0.key < $1.key }) where !source.finished && now >= source.lastHeard &+ Self.silenceLimit {
            all.append(CaptureAbsence(host: agent, from: Date(unixNanoseconds: source.lastHeard), until: nil))
        }
        return all
    }

    /// Hands every byte ready for output to `sink` (in order), then forgets them.
    mutating func drain(_ sink: (UnsafeRawBufferPointer) -> Void) throws(PcapngWriteError) {
        if !finished { try merger.writeReady(into: &writer) }
        guard writer.byteCount > 0 else { return }
        bytesWritten += Int64(writer.byteCount)
        writer.drain(sink)
    }

    /// Ends the merge at `now`: everything held is written, then one ISB per interface; ``drain(_:)``
    /// then hands out the rest. Nothing is taken afterwards.
    mutating func finish(at now: UInt64) throws(PcapngWriteError) {
        guard !finished else { return }
        // A host silent at the end (its agent gone), or expected and never heard from, was absent until now.
        for (agent, source) in sources.sorted(by: { $0.key < $1.key }) where !source.finished && now >= source.lastHeard &+ Self.silenceLimit {
            absences.append(CaptureAbsence(host: agent, from: Date(unixNanoseconds: source.lastHeard), until: Date(unixNanoseconds: now)))
        }
        for agent in expectedAgents.sorted() where sources[agent] == nil {
            absences.append(CaptureAbsence(host: agent, from: Date(unixNanoseconds: startTime), until: Date(unixNanoseconds: now)))
        }
        merger.finish()
        try merger.writeReady(into: &writer)
        finished = true
        // What an agent reported capturing but neither sent in time nor counted as its own drop arrived after
        // the capture closed (or never): the server counts it as dropped, so nothing goes unaccounted. Not
        // after a packet or byte limit: what came after it was left out on purpose, as `tcpdump -c` does.
        for index in interfaces.indices where limitReached == nil {
            let interface = interfaces[index]
            let accounted = interface.packets &+ interface.agentDrops &+ interface.serverDrops
            if interface.received > accounted { interfaces[index].serverDrops &+= interface.received - accounted }
        }
        for (id, interface) in interfaces.enumerated() {
            let absent = absences.filter { $0.host == interface.agent }.map { Self.describe($0) }
            try writer.writeInterfaceStatistics(PcapngInterfaceStatistics(
                interfaceID: UInt32(id), timestamp: now, startTime: startTime, endTime: now,
                received: interface.interfaceReceived, interfaceDrops: interface.drops,
                osDrops: interface.kernelDrops, userDelivered: interface.packets,
                comments: ["drops: kernel \(interface.kernelDrops), agent \(interface.agentDrops), server \(interface.serverDrops)"] + absent))
        }
    }

    /// The capture's counters now.
    func summary(reason: CaptureEndReason?, at now: Date) -> CaptureSummary {
        var interfaces = self.interfaces
        for index in interfaces.indices {
            interfaces[index].received = interfaces[index].interfaceReceived
        }
        return CaptureSummary(packets: packets, size: bytesWritten, drops: drops, interfaces: interfaces,
                              absences: absences(at: now.unixNanoseconds), outOfOrderPackets: merger.latePackets, reason: reason, at: now)
    }

    // MARK: Parts

    private mutating func source(for agent: String, now: UInt64) -> Source {
        if let source = sources[agent], !source.finished { return source }
        // A new agent, or one sending again after its last batch (a new stream): a new merger source.
        return Source(id: merger.addSource(), lastHeard: now)
    }

    /// `agent` opened a new stream without having ended its earlier one: it was absent from its last batch
    /// until now. Its next packet says so, and its counters may start from 0 again.
    private mutating func resumed(_ agent: String, _ source: inout Source, now: UInt64) {
        let absence = CaptureAbsence(host: agent, from: Date(unixNanoseconds: source.lastHeard), until: Date(unixNanoseconds: now))
        absences.append(absence)
        source.note = Self.describe(absence)
        source.countersMayRestart = true
    }

    /// Takes an agent's counters. The first ones of a new stream tell a restarted agent (counting from 0:
    /// the earlier stream's counters are kept and added to) from one that only reconnected (counting on).
    private mutating func count(_ reported: [Tapster_Agent_V1_InterfaceCounters], of source: inout Source) {
        if source.countersMayRestart {
            source.countersMayRestart = false
            let restarted = reported.contains { $0.received < (source.counters[$0.index]?.received ?? 0) }
            if restarted {
                for (index, counters) in source.counters { source.earlierCounters[index] = (source.earlierCounters[index] ?? AgentCounters()) + counters }
                source.counters = [:]
            }
        }
        for counters in reported {
            guard let output = source.interfaces[counters.index]?.output else { continue }
            var current = source.counters[counters.index] ?? AgentCounters()
            current.received = max(current.received, counters.received)
            current.kernelDrops = max(current.kernelDrops, counters.kernelDrops)
            current.agentDrops = max(current.agentDrops, counters.agentDrops)
            source.counters[counters.index] = current
            let total = (source.earlierCounters[counters.index] ?? AgentCounters()) + current
            interfaces[output].received = total.received
            interfaces[output].kernelDrops = total.kernelDrops
            interfaces[output].agentDrops = total.agentDrops
        }
    }

    /// How an absence reads in the pcapng: `tapster: host node-b was absent from … to …; …`.
    static func describe(_ absence: CaptureAbsence) -> String {
        let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let until = absence.until.map { "to \($0.formatted(format))" } ?? "on"
        return "tapster: host \(absence.host) was absent from \(absence.from.formatted(format)) \(until) "
            + "(its agent's stream broke off); packets it would have captured then are missing"
    }

    /// Adds an interface (an IDB) the first time its index appears, or again under a new name.
    private mutating func describe(_ interface: Tapster_Agent_V1_CaptureInterface, of agent: String, in source: inout Source) {
        let name = Self.interfaceName(interface.name, agent: agent, index: interface.index)
        if let known = source.interfaces[interface.index], interfaces[known.output].name == name { return }
        var snapLength = interface.snaplen
        if let limit = cappedSnapLength(of: interface) { snapLength = limit }
        let description = PcapngInterfaceDescription(
            linkType: LinkType(rawValue: Int32(clamping: interface.linkType == 0 ? 1 : interface.linkType)),
            snapLength: snapLength, name: name, description: "captured by agent \(agent)",
            filter: interface.filter.isEmpty ? nil : interface.filter, timestampResolution: .nanoseconds)
        do {
            let output = try merger.addInterface(description, source: source.id)
            source.interfaces[interface.index] = (source.localCount, Int(output))
            source.localCount += 1
            interfaces.append(CaptureInterfaceStatistics(name: name, agent: agent))
        } catch {
            // Only a closed source refuses; sources are replaced before they are used after closing.
        }
    }

    /// The interface's IDB snaplen when the target's is smaller than what the agent declared (0: none).
    private func cappedSnapLength(of interface: Tapster_Agent_V1_CaptureInterface) -> UInt32? {
        guard let snapLength, interface.snaplen == 0 || interface.snaplen > snapLength else { return nil }
        return snapLength
    }

    @inline(__always)
    private mutating func take(_ packet: PcapngPacketRun.Packet, from source: inout Source, queued: Int) {
        guard let interface = source.interfaces[packet.interfaceID] else {
            unknownInterfacePackets &+= 1
            return
        }
        guard limitReached == nil else { return }
        // Cut to the target's payload here, whatever the agent did: its original length is kept.
        var data = packet.data
        if let snapLength, data.count > Int(snapLength) { data = UnsafeRawBufferPointer(rebasing: data[0..<Int(snapLength)]) }
        let blockBytes = UInt64(data.count + Self.blockOverhead)
        if let storedBytesAllowance, packetBlockBytes + blockBytes > storedBytesAllowance {
            // The packet that would take the file past the tenant's quota is not taken: the capture ends here.
            limitReached = .storedBytesQuota
            return
        }
        if heldBytes + queued + data.count + Self.blockOverhead > budget {
            interfaces[interface.output].serverDrops &+= 1
            return
        }
        do {
            let originalLength = max(Int(packet.originalLength), packet.data.count)
            if let note = source.note {
                try merger.pushPacket(source: source.id, interfaceID: interface.local, timestamp: packet.timestamp,
                                      originalLength: originalLength, flags: packet.flags, comments: [note], data: data)
                source.note = nil
            } else if data.count == packet.data.count {
                // Nothing of the server's to add or cut: the agent's block goes to the file as it came where it is
                // plain (the merger checks: an agent's `opt_comment` or other option never reaches the file, such a
                // block is re-encoded without it), its interface id replaced.
                try merger.pushRawBlock(packet, source: source.id, interfaceID: interface.local)
            } else {
                try merger.pushPacket(source: source.id, interfaceID: interface.local, timestamp: packet.timestamp,
                                      originalLength: originalLength, flags: packet.flags, data: data)
            }
        } catch {
            unknownInterfacePackets &+= 1
            return
        }
        interfaces[interface.output].packets &+= 1
        packets &+= 1
        packetBytes &+= UInt64(data.count)
        packetBlockBytes &+= blockBytes
        if let packetLimit, packets >= packetLimit { limitReached = .packetLimit }
        if let byteLimit, packetBytes >= byteLimit { limitReached = limitReached ?? .byteLimit }
    }

    /// `host/workload/interface` as the agent named it, always starting with the agent's own name (an
    /// agent cannot pose as another host).
    static func interfaceName(_ name: String, agent: String, index: UInt32) -> String {
        if name.isEmpty { return "\(agent)/-/if\(index)" }
        return name.hasPrefix(agent + "/") ? name : "\(agent)/\(name)"
    }

    /// The server's operating system, the section's `shb_os`.
    static let operatingSystem = ProcessInfo.processInfo.operatingSystemVersionString
}

/// A capture's counters at one moment (or at its end).
struct CaptureSummary: Sendable, Equatable {
    var packets: UInt64
    /// Bytes of pcapng written.
    var size: Int64
    var drops: UInt64
    var interfaces: [CaptureInterfaceStatistics]
    /// Hosts absent meanwhile (see ``CaptureAbsence``).
    var absences: [CaptureAbsence] = []
    /// Packets written out of time order (``Capture/outOfOrderPackets``).
    var outOfOrderPackets: UInt64 = 0
    /// Why it ended, once it has.
    var reason: CaptureEndReason?
    var at: Date
}
