import Foundation
import TapsterWire

/// A port on this host that receives, for one tap, the frames another host's agent tunnels here with GRE-TEB
/// under ``greKey`` — until ``deadline``, which the receiver enforces by itself.
public struct PortReception: Hashable, Sendable, CustomStringConvertible {
    /// The tap the frames belong to.
    public var tapID: String
    /// The GRE key the sending agent puts on the tap's frames; unique on this host.
    public var greKey: UInt32
    /// The port's namespace.
    public var namespace: NetworkNamespace
    /// The port's interface in ``namespace``.
    public var interface: String
    /// When the reception ends, whether or not the server says so.
    public var deadline: Date

    /// Describes a reception.
    public init(tapID: String, greKey: UInt32, namespace: NetworkNamespace, interface: String, deadline: Date) {
        self.tapID = tapID
        self.greKey = greKey
        self.namespace = namespace
        self.interface = interface
        self.deadline = deadline
    }

    /// The reception the server's `DesiredTaps` message describes.
    public init(_ message: Tapster_Agent_V1_PortReception) {
        self.init(tapID: message.tapID, greKey: message.greKey, namespace: NetworkNamespace(reference: message.netns),
                  interface: message.interface,
                  deadline: Date(timeIntervalSince1970: Double(message.deadlineUnixNanos) / 1_000_000_000))
    }

    /// `tap 3f… key 42 → mon0 (netns mon)`.
    public var description: String { "tap \(tapID) key \(greKey) → \(interface) (\(namespace))" }

    /// The deadline in nanoseconds since the Unix epoch.
    var deadlineNanoseconds: UInt64 {
        let seconds = deadline.timeIntervalSince1970
        guard seconds > 0 else { return 0 }
        guard seconds < 18_000_000_000 else { return .max }
        return UInt64((seconds * 1_000_000_000).rounded())
    }
}
