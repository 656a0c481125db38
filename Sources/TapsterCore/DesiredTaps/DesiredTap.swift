import Foundation

/// One tap as one agent must run it: what to capture on this host (sources, expression, direction, how
/// much of each packet), how fast it may send, until when, and where the packets go.
public struct DesiredTap: Hashable, Sendable {
    /// The tap's id.
    public var tapID: String
    /// The absolute deadline: the agent stops the tap then by itself, whether or not the server says so.
    public var deadline: Date
    /// The interfaces to capture on, on this host.
    public var sources: [DesiredTapSource]
    /// The complete BPF expression (the filter's, AND its peers' addresses, AND a capture's narrowing),
    /// already compiled once by the server with libpcap; `""` captures everything.
    public var bpf: String
    /// Bytes kept of each packet; 0 keeps whole packets.
    public var snaplen: UInt32
    /// Which packets: those the workload receives, sends, or both.
    public var direction: Direction
    /// Bits per second this tap may send from this host; `nil` for no cap.
    public var bandwidthCapBitsPerSecond: UInt64?
    /// Where the captured packets go.
    public var destination: TapDestination
    /// For a capture that looks back (`before`): the packets from this time on (ns since the epoch) come from
    /// the host's recorder of the source, and the capture continues live from that recorder's own capture.
    /// nil: a live capture only.
    public var lookBackSince: UInt64?

    /// Describes a tap to run.
    public init(tapID: String, deadline: Date, sources: [DesiredTapSource] = [], bpf: String = "", snaplen: UInt32 = 0,
                direction: Direction = .both, bandwidthCapBitsPerSecond: UInt64? = nil, destination: TapDestination) {
        self.tapID = tapID
        self.deadline = deadline
        self.sources = sources
        self.bpf = bpf
        self.snaplen = snaplen
        self.direction = direction
        self.bandwidthCapBitsPerSecond = bandwidthCapBitsPerSecond
        self.destination = destination
    }
}
