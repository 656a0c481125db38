import CNetns
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import Logging
import Synchronization

/// Receives the frames other hosts' agents tunnel to this host for `port` targets (GRE transparent Ethernet
/// bridging, one GRE key per tap) and delivers each into its port, like ``PortInjectionSink`` does for local
/// captures.
///
/// One dedicated thread owns a raw GRE socket opened in the agent's own namespace. It waits in `poll(2)` on
/// the socket and a wake-up eventfd (at most 100 ms at a time), reads every waiting packet, keeps those
/// whose GRE protocol is 0x6558, whose key belongs to a registered ``PortReception`` and whose outer source
/// address is one that reception allows, strips the outer IPv4 and GRE headers and injects the inner frame;
/// then flushes each port's batch. Every other packet is dropped and counted (``refusals``). Receptions are
/// added and removed at any time; each ends at its deadline by the receiver's own clock, with no server
/// involved.
///
/// ```swift
/// let receiver = try await PortReceiver.start(localAddress: "192.0.2.7")
/// try await receiver.add(PortReception(tapID: id, greKey: key, allowedSources: [source], namespace: .named("mon"),
///                                     interface: "mon0", deadline: end))
/// …
/// await receiver.stop()
/// ```
public final class PortReceiver: Sendable {
    /// The address the socket is bound to, or nil when it receives GRE sent to any address of the host.
    public let localAddress: String?
    private let core: PortReceiverCore

    /// 32 packets per batch.
    public static let defaultBatchCapacity = 32

    private init(localAddress: String?, core: PortReceiverCore) {
        self.localAddress = localAddress
        self.core = core
    }

    deinit {
        core.requestStop()
    }

    /// Opens the GRE socket in the agent's own namespace and starts the receive thread.
    /// - Parameters:
    ///   - localAddress: an IPv4 address of this host (the agent's `tunnel_address`) to receive on only;
    ///     nil receives GRE sent to any local address.
    ///   - batchCapacity: how many packets one wake-up reads at most.
    /// - Throws: ``PortDeliveryError`` when the address is malformed or not local, or the socket cannot be opened.
    public static func start(localAddress: String? = nil, batchCapacity: Int = defaultBatchCapacity,
                             logger: Logger = Logger(label: "tapster.port-receiver")) async throws(PortDeliveryError) -> PortReceiver {
        let socket: GREReceiveSocket
        do {
            socket = try await NetworkNamespace.host.run { () throws(PortDeliveryError) in
                try GREReceiveSocket.open(localAddress: localAddress)
            }
        } catch let error as PortDeliveryError {
            throw error
        } catch {
            throw PortDeliveryError(stage: .namespace, subject: "the agent's namespace", reason: "\(error)")
        }
        let wake = cnetns_eventfd()
        guard wake >= 0 else {
            let code = errno
            socket.close()
            throw PortDeliveryError(stage: .thread, subject: "the wake-up eventfd", code: code)
        }
        let core = PortReceiverCore(socket: socket, wakeDescriptor: wake, batchCapacity: max(1, batchCapacity), logger: logger)
        let code = DetachedThread.start(name: "tapster-port-rx") { core.run() }
        guard code == 0 else {
            socket.close()
            Glibc.close(wake)
            throw PortDeliveryError(stage: .thread, subject: "the receive thread", code: code)
        }
        return PortReceiver(localAddress: localAddress, core: core)
    }

    /// Starts delivering the frames with `reception`'s key into its port: opens the port's injection socket
    /// (inside its namespace), then registers it, replacing any reception with the same key.
    /// - Throws: ``PortDeliveryError`` when the port's namespace or interface cannot be found; nothing changes then.
    public func add(_ reception: PortReception) async throws(PortDeliveryError) {
        let sink = try await PortInjectionSink.open(namespace: reception.namespace, interface: reception.interface)
        core.insert(reception, sink: sink)
    }

    /// Stops delivering for `tapID` (every reception of that tap). Does nothing for an unknown tap.
    public func remove(tapID: String) {
        core.remove(tapID: tapID)
    }

    /// Makes the receptions exactly `desired` (a `DesiredTaps` message's list): removes the others, keeps
    /// those already in place (updating their deadlines), opens the new ones; those already past their
    /// deadline are left out. Returns the receptions that
    /// could not be opened, by tap id; the rest are in place.
    @discardableResult
    public func apply(_ desired: [PortReception]) async -> [String: PortDeliveryError] {
        let current = Dictionary(receptions.map { ($0.greKey, $0) }, uniquingKeysWith: { first, _ in first })
        // A reception already past its deadline stays ended, even if the server has not noticed yet.
        let now = Date()
        let wanted = Dictionary(desired.filter { $0.deadline > now }.map { ($0.greKey, $0) }, uniquingKeysWith: { _, last in last })
        core.retain(keys: Set(wanted.keys))
        var failures: [String: PortDeliveryError] = [:]
        for (key, reception) in wanted.sorted(by: { $0.key < $1.key }) {
            if let existing = current[key], existing.namespace == reception.namespace, existing.interface == reception.interface,
               core.update(reception) {
                continue
            }
            do {
                try await add(reception)
            } catch {
                failures[reception.tapID] = error
            }
        }
        return failures
    }

    /// The receptions in place (expired ones are gone), ordered by GRE key.
    public var receptions: [PortReception] {
        core.receptions
    }

    /// The tunnelled packets refused so far: unknown key, unplanned source address, malformed.
    public var refusals: PortReceiverRefusals {
        core.refusals
    }

    /// The counters of `tapID`'s reception, while it is in place.
    public func counters(tapID: String) -> PortReceptionCounters? {
        core.counters(tapID: tapID)
    }

    /// Stops the receive thread, closes every port's socket and the GRE socket, and returns once the thread
    /// has ended. Idempotent.
    public func stop() async {
        await core.stop()
    }
}
