#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TapsterCore

/// Where a capture happens: one interface of one workload, in the workload's network namespace.
public struct CaptureSource: Hashable, Sendable, CustomStringConvertible {
    /// The workload's name, as the inventory reports it (for logs and counters).
    public var workload: String
    /// The namespace the interface lives in.
    public var namespace: NetworkNamespace
    /// The interface's name inside ``namespace``.
    public var interface: String

    /// Names a source.
    public init(workload: String, namespace: NetworkNamespace, interface: String) {
        self.workload = workload
        self.namespace = namespace
        self.interface = interface
    }

    /// `web/eth0 (netns web)`.
    public var description: String { "\(workload)/\(interface) (\(namespace))" }
}

/// Everything a ``CaptureSession`` needs to capture one source for one tap: what to capture, how much
/// of each packet, which way, until when, and how fast it may send.
public struct CapturePlan: Hashable, Sendable {
    /// The tap this capture serves.
    public var tapID: String
    /// The interface to capture on.
    public var source: CaptureSource
    /// A BPF expression in tcpdump's language, compiled by libpcap on the live handle; `""` captures everything.
    public var bpf: String
    /// Bytes kept of each packet; 0 keeps whole packets (libpcap's maximum, 262 144 bytes).
    public var snaplen: Int
    /// Which packets: those the workload receives (`in`), sends (`out`), or both.
    public var direction: Direction
    /// When the capture stops by itself (wall-clock time), whether or not anyone asks it to.
    public var deadline: Date
    /// The most the capture may forward, in bits per second of captured bytes; nil for no limit.
    /// Packets over the limit are counted as cap drops.
    public var bandwidthCap: UInt64?
    /// The size of the kernel's capture buffer for this handle.
    public var bufferSize: Int
    /// Whether to put the interface in promiscuous mode (to see frames not addressed to the workload).
    public var promiscuous: Bool

    /// libpcap's largest snapshot length, used when ``snaplen`` is 0.
    public static let wholePacketSnaplen = 262_144
    /// 8 MiB of kernel ring: packed blocks (TPACKET_V3), so thousands of packets of headroom while the
    /// capture thread is busy.
    public static let defaultBufferSize = 8 << 20
    /// The longest a captured packet waits in the kernel before the capture thread gets it (the ring block
    /// timeout): the latency the agent adds, in exchange for batches.
    public static let deliveryTimeoutMilliseconds: Int32 = 5

    /// Describes a capture.
    public init(tapID: String, source: CaptureSource, bpf: String = "", snaplen: Int = 0, direction: Direction = .both,
                deadline: Date, bandwidthCap: UInt64? = nil, bufferSize: Int = CapturePlan.defaultBufferSize,
                promiscuous: Bool = false) {
        self.tapID = tapID
        self.source = source
        self.bpf = bpf
        self.snaplen = snaplen
        self.direction = direction
        self.deadline = deadline
        self.bandwidthCap = bandwidthCap
        self.bufferSize = bufferSize
        self.promiscuous = promiscuous
    }

    /// The snapshot length handed to libpcap: ``snaplen``, or ``wholePacketSnaplen`` for 0.
    public var effectiveSnaplen: Int32 {
        snaplen <= 0 || snaplen > Self.wholePacketSnaplen ? Int32(Self.wholePacketSnaplen) : Int32(snaplen)
    }

    /// The deadline in nanoseconds since the Unix epoch, the unit of capture timestamps.
    var deadlineNanoseconds: UInt64 {
        WallClock.nanoseconds(of: deadline)
    }
}
