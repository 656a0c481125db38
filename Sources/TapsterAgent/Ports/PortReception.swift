#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PacketKit
import TapsterCore

/// A port on this host that receives, for one tap, the frames other hosts' agents tunnel here with GRE-TEB
/// under ``greKey`` from one of ``allowedSources`` — until ``deadline``, which the receiver enforces by itself.
public struct PortReception: Hashable, Sendable, CustomStringConvertible {
    /// The tap the frames belong to.
    public var tapID: String
    /// The GRE key the sending agent puts on the tap's frames: the tap's secret, unique on this host.
    public var greKey: UInt32
    /// The addresses the tap's frames may come from (the sending hosts' agents' tunnel addresses); a frame
    /// from any other is dropped and counted, even with the right key. Empty: none is accepted.
    public var allowedSources: Set<IPv4Address>
    /// The port's namespace.
    public var namespace: NetworkNamespace
    /// The port's interface in ``namespace``.
    public var interface: String
    /// When the reception ends, whether or not the server says so.
    public var deadline: Date

    /// Describes a reception.
    public init(tapID: String, greKey: UInt32, allowedSources: Set<IPv4Address>, namespace: NetworkNamespace, interface: String,
                deadline: Date) {
        self.tapID = tapID
        self.greKey = greKey
        self.allowedSources = allowedSources
        self.namespace = namespace
        self.interface = interface
        self.deadline = deadline
    }

    /// The reception the server's desired set describes (source addresses that are not IPv4 addresses
    /// allow nothing).
    public init(_ desired: DesiredPortReception) {
        self.init(tapID: desired.tapID, greKey: desired.greKey, allowedSources: Set(desired.allowedSources.compactMap(IPv4Address.init)),
                  namespace: NetworkNamespace(netns: desired.netns), interface: desired.interface, deadline: desired.deadline)
    }

    /// `tap 3f… from 192.0.2.1 → mon0 (netns mon)` (the key is a secret: not logged).
    public var description: String {
        "tap \(tapID) from \(allowedSources.map(\.description).sorted().joined(separator: ", ")) → \(interface) (\(namespace))"
    }

    /// The deadline in nanoseconds since the Unix epoch.
    var deadlineNanoseconds: UInt64 {
        let seconds = deadline.timeIntervalSince1970
        guard seconds > 0 else { return 0 }
        guard seconds < 18_000_000_000 else { return .max }
        return UInt64((seconds * 1_000_000_000).rounded())
    }
}
