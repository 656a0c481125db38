/// An Interface Description Block (IDB, type 1): one capture interface of a section. Packets refer to
/// interfaces by their position among the section's IDBs (the interface id, from 0).
///
/// Tapster writes one per (host, interface), named `node-3/web-7f9c/eth0`, with the BPF filter the
/// capture used and nanosecond timestamps.
public struct PcapngInterfaceDescription: Hashable, Sendable {
    /// The link type of its packets.
    public var linkType: LinkType
    /// The snapshot length: no packet is longer; 0 means unlimited.
    public var snapLength: UInt32
    /// `if_name`, e.g. `node-3/web-7f9c/eth0`.
    public var name: String?
    /// `if_description`, e.g. `web-7f9c (app=web) on node-3`.
    public var description: String?
    /// `if_filter` of type 0: the libpcap filter expression the capture used.
    public var filter: String?
    /// `if_tsresol`: the unit of this interface's packet timestamps; written only when not microseconds.
    public var timestampResolution: PcapngTimestampResolution
    /// `if_tsoffset`: seconds added to every timestamp of the interface (rarely used).
    public var timestampOffsetSeconds: Int64?
    /// `if_os`: the operating system of the capturing machine.
    public var operatingSystem: String?
    /// `if_hardware`: the interface's hardware.
    public var hardware: String?
    /// `opt_comment` values.
    public var comments: [String]
    /// Options without a field here (addresses, speed, a BPF-program filter…), carried unchanged.
    public var otherOptions: [PcapngOption]

    /// Describes an interface.
    public init(linkType: LinkType = .ethernet, snapLength: UInt32 = 262_144, name: String? = nil, description: String? = nil,
                filter: String? = nil, timestampResolution: PcapngTimestampResolution = .nanoseconds,
                timestampOffsetSeconds: Int64? = nil, operatingSystem: String? = nil, hardware: String? = nil,
                comments: [String] = [], otherOptions: [PcapngOption] = []) {
        self.linkType = linkType
        self.snapLength = snapLength
        self.name = name
        self.description = description
        self.filter = filter
        self.timestampResolution = timestampResolution
        self.timestampOffsetSeconds = timestampOffsetSeconds
        self.operatingSystem = operatingSystem
        self.hardware = hardware
        self.comments = comments
        self.otherOptions = otherOptions
    }

    /// IDB option codes.
    public enum OptionCode {
        /// `if_name`.
        public static let name: UInt16 = 2
        /// `if_description`.
        public static let description: UInt16 = 3
        /// `if_tsresol`.
        public static let timestampResolution: UInt16 = 9
        /// `if_filter`.
        public static let filter: UInt16 = 11
        /// `if_os`.
        public static let operatingSystem: UInt16 = 12
        /// `if_tsoffset`.
        public static let timestampOffset: UInt16 = 14
        /// `if_hardware`.
        public static let hardware: UInt16 = 15
    }

    /// The first byte of an `if_filter` value holding a libpcap filter string.
    public static let libpcapFilterType: UInt8 = 0
}
