import Foundation

/// A port on this host that receives, for one tap, the frames other hosts' agents tunnel here (GRE-TEB
/// under the tap's key), from the listed addresses only, until the deadline.
public struct DesiredPortReception: Hashable, Sendable {
    /// The tap the frames belong to.
    public var tapID: String
    /// The tap's GRE key: random per tap, chosen by the server and sent only over the agent channel.
    public var greKey: UInt32
    /// The port's namespace; `nil` for the host's own.
    public var netns: String?
    /// The port's interface in that namespace.
    public var interface: String
    /// When the reception ends, whether or not the server says so.
    public var deadline: Date
    /// The IPv4 addresses the tap's frames may come from (the tunnel addresses of the sending hosts'
    /// agents); a frame from any other is dropped, even with the right key.
    public var allowedSources: [String]

    /// Describes a reception.
    public init(tapID: String, greKey: UInt32, netns: String?, interface: String, deadline: Date, allowedSources: [String]) {
        self.tapID = tapID
        self.greKey = greKey
        self.netns = netns
        self.interface = interface
        self.deadline = deadline
        self.allowedSources = allowedSources
    }
}
