#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import PacketKit
import TapsterCore
import TapsterWire

/// Makes the sink each capture sends to, from its tap's destination: a tunnel to a tool, a port on this host,
/// a tunnel to the agent of the port's host, or the capture upload to the server. Sinks are made on the
/// reconciler's thread, in the agent's own (host) namespace, so tunnel sockets send from the host.
/// It also keeps this host's port receptions (frames other hosts tunnel to a local port).
final actor SinkFactory {
    nonisolated let hostName: String
    let logger: Logger
    /// Where other hosts' agents send frames for this host's ports; nil: this agent accepts none.
    let tunnelAddress: String?
    private var receiver: PortReceiver?

    init(hostName: String, tunnelAddress: String?, logger: Logger) {
        self.hostName = hostName
        self.tunnelAddress = tunnelAddress
        self.logger = logger
    }

    /// A sink for `plan`'s packets; `localMAC` (the tapped interface's) tells ERSPAN III which way a frame went. `upload` is the tap's upload for `stream` destinations, `index` the
    /// source's interface index in it; `flows` the tap's flow export for `flows` destinations.
    nonisolated func makeSink(for destination: TapDestination, plan: CapturePlan, localMAC: MACAddress?,
                              upload: CaptureUpload?, index: Int, flows: FlowExport? = nil) async throws -> any PacketSink {
        switch destination {
        case .erspanII(let address, let sessionID):
            return try TunnelSink(encapsulation: .erspanII(sessionID: sessionID), destination: try Self.address(address), localMAC: localMAC)
        case .erspanIII(let address, let sessionID):
            return try TunnelSink(encapsulation: .erspanIII(sessionID: sessionID), destination: try Self.address(address), localMAC: localMAC)
        case .vxlan(let address, let vni, let udpPort):
            return try TunnelSink(encapsulation: .vxlan(vni: vni, port: udpPort), destination: try Self.address(address), localMAC: localMAC)
        case .gre(let address, let key):
            return try TunnelSink(encapsulation: .gre(key: key), destination: try Self.address(address), localMAC: localMAC)
        case .port(let port):
            guard let tunnel = port.tunnel, port.host != hostName else {
                return try await PortInjectionSink.open(namespace: NetworkNamespace(netns: port.netns), interface: port.interface)
            }
            // The port is on another host: GRE-TEB with the tap's key to that host's agent, which injects — and
            // accepts the tap's frames only from this host's tunnel address: send from it.
            return try TunnelSink(encapsulation: .gre(key: tunnel.greKey), destination: try Self.address(tunnel.address),
                                  source: try tunnelAddress.map(Self.address))
        case .serverStream:
            guard let upload else { throw SinkError.unsupportedDestination("stream without an upload") }
            return try StreamSink(upload: upload, interfaceIndex: UInt32(index), snaplen: UInt32(plan.effectiveSnaplen))
        case .flows:
            guard let flows else { throw SinkError.unsupportedDestination("flows without a flow export") }
            return FlowSink(plan: plan, export: flows)
        case .unsupported(let reason):
            throw SinkError.unsupportedDestination(reason)
        }
    }

    private nonisolated static func address(_ text: String) throws(SinkError) -> IPv4Address {
        guard let address = IPv4Address(text) else { throw .unsupportedDestination("\"\(text)\" is not an IPv4 address") }
        return address
    }

    /// The interface descriptions of a stream tap's sources, `host/workload/interface`.
    nonisolated func captureInterfaces(for assignment: DesiredTap) -> [Tapster_Agent_V1_CaptureInterface] {
        assignment.capturePlans.enumerated().map { index, plan in captureInterface(for: plan, index: UInt32(index)) }
    }

    /// The description of the interface `plan` captures, as the capture's interface `index`, whose packets are
    /// framed as `linkType` (Ethernet until its capture has opened the interface: ``describedLinkType(_:)``).
    nonisolated func captureInterface(for plan: CapturePlan, index: UInt32, linkType: LinkType = .ethernet) -> Tapster_Agent_V1_CaptureInterface {
        var interface = Tapster_Agent_V1_CaptureInterface()
        interface.index = index
        interface.name = "\(hostName)/\(plan.source.workload)/\(plan.source.interface)"
        interface.filter = plan.bpf
        interface.linkType = Self.describedLinkType(linkType)
        interface.snaplen = UInt32(plan.effectiveSnaplen)
        return interface
    }

    /// The link type a capture file names for packets libpcap framed as `linkType` (a `LINKTYPE_*` value, as
    /// libpcap writes files): the `DLT_*` number but for `DLT_RAW`, whose number differs between systems
    /// (`LINKTYPE_RAW`, 101, in files).
    nonisolated static func describedLinkType(_ linkType: LinkType) -> UInt32 {
        linkType == .raw ? 101 : UInt32(clamping: linkType.rawValue)
    }

    /// Makes this host's port receptions exactly `receptions`, starting the receiver on first need.
    func receive(_ receptions: [DesiredPortReception]) async {
        if receptions.isEmpty, receiver == nil { return }
        if receiver == nil {
            do {
                receiver = try await PortReceiver.start(localAddress: tunnelAddress, logger: logger)
            } catch {
                logger.error("cannot receive tunnelled port frames: \(error)")
                return
            }
        }
        let failures = await receiver?.apply(receptions.map(PortReception.init)) ?? [:]
        for (tap, error) in failures { logger.warning("port reception failed", metadata: ["tap": "\(tap)", "reason": "\(error)"]) }
    }

    /// Stops receiving (the agent is shutting down).
    func stopReceiving() async {
        await receiver?.stop()
        receiver = nil
    }
}

/// A tap's destination this agent cannot send to.
enum SinkError: Error, CustomStringConvertible {
    case unsupportedDestination(String)
    var description: String {
        switch self {
        case .unsupportedDestination(let what): "cannot send there: \(what)"
        }
    }
}
