import Foundation
import Logging
import PacketKit
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
    /// source's interface index in it.
    nonisolated func makeSink(for destination: Tapster_Agent_V1_Destination, plan: CapturePlan, localMAC: MACAddress?,
                              upload: CaptureUpload?, index: Int) async throws -> any PacketSink {
        switch destination.kind {
        case .tunnel(let tunnel):
            return try TunnelSink(encapsulation: try tunnel.tunnelEncapsulation, destination: try Self.address(tunnel.address),
                                  localMAC: localMAC)
        case .port(let port):
            if port.host == hostName || port.tunnelAddress.isEmpty {
                return try await PortInjectionSink.open(namespace: NetworkNamespace(reference: port.netns), interface: port.interface)
            }
            // The port is on another host: GRE-TEB with the tap's key to that host's agent, which injects — and
            // accepts the tap's frames only from this host's tunnel address: send from it.
            return try TunnelSink(encapsulation: .gre(key: port.greKey), destination: try Self.address(port.tunnelAddress),
                                  source: try tunnelAddress.map(Self.address))
        case .stream:
            guard let upload else { throw SinkError.unsupportedDestination("stream without an upload") }
            return try StreamSink(upload: upload, interfaceIndex: UInt32(index), snaplen: UInt32(plan.effectiveSnaplen))
        case nil:
            throw SinkError.unsupportedDestination("the tap has no destination")
        }
    }

    private nonisolated static func address(_ text: String) throws(SinkError) -> IPv4Address {
        guard let address = IPv4Address(text) else { throw .unsupportedDestination("\"\(text)\" is not an IPv4 address") }
        return address
    }

    /// The interface descriptions of a stream tap's sources, `host/workload/interface`.
    nonisolated func captureInterfaces(for assignment: Tapster_Agent_V1_TapAssignment) -> [Tapster_Agent_V1_CaptureInterface] {
        assignment.capturePlans.enumerated().map { index, plan in
            var interface = Tapster_Agent_V1_CaptureInterface()
            interface.index = UInt32(index)
            interface.name = "\(hostName)/\(plan.source.workload)/\(plan.source.interface)"
            interface.filter = plan.bpf
            interface.linkType = 1
            interface.snaplen = UInt32(plan.effectiveSnaplen)
            return interface
        }
    }

    /// Makes this host's port receptions exactly `receptions`.
    /// Makes this host's port receptions exactly `receptions`, starting the receiver on first need.
    func receive(_ receptions: [Tapster_Agent_V1_PortReception]) async {
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
extension Tapster_Agent_V1_Tunnel {
    /// The encapsulation this tunnel asks for.
    var tunnelEncapsulation: TunnelEncapsulation {
        get throws(SinkError) {
            switch self.encapsulation {
            case .erspanIi: return .erspanII(sessionID: UInt16(truncatingIfNeeded: sessionID))
            case .erspanIii: return .erspanIII(sessionID: UInt16(truncatingIfNeeded: sessionID))
            case .vxlan: return .vxlan(vni: vni, port: udpPort == 0 ? VXLANEncapsulator.defaultPort : UInt16(truncatingIfNeeded: udpPort))
            case .gre: return .gre(key: hasGreKey_p ? greKey : nil)
            case .unspecified, .UNRECOGNIZED: throw .unsupportedDestination("tunnel without an encapsulation")
            }
        }
    }
}

enum SinkError: Error, CustomStringConvertible {
    case unsupportedDestination(String)
    var description: String {
        switch self {
        case .unsupportedDestination(let what): "cannot send there: \(what)"
        }
    }
}
