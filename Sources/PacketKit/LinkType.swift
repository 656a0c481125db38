import CPcap

/// A libpcap data-link type (a `DLT_*` value): the framing in front of each packet, which
/// decides where BPF finds the network-layer header.
///
/// The common ones are named constants; any other `DLT_*` value can be used through
/// ``init(rawValue:)``.
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The `DLT_*` number libpcap and pcap/pcapng files use.
    public let rawValue: Int32

    /// Wraps a `DLT_*` number.
    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// Ethernet (`DLT_EN10MB`), what Linux interfaces, veths and loopback capture as.
    public static let ethernet = LinkType(rawValue: DLT_EN10MB)
    /// Raw IPv4/IPv6 without a link-layer header (`DLT_RAW`), e.g. tun devices.
    public static let raw = LinkType(rawValue: DLT_RAW)
    /// Linux "cooked" capture v1 (`DLT_LINUX_SLL`), what the `any` device captures as.
    public static let linuxSLL = LinkType(rawValue: DLT_LINUX_SLL)
    /// Linux "cooked" capture v2 (`DLT_LINUX_SLL2`), which also records the interface index.
    public static let linuxSLL2 = LinkType(rawValue: DLT_LINUX_SLL2)

    /// libpcap's name for the link type (`EN10MB`, `RAW`, `LINUX_SLL`), or `DLT_<n>` when it has none.
    public var name: String {
        if let cName = pcap_datalink_val_to_name(rawValue) { return String(cString: cName) }
        return "DLT_\(rawValue)"
    }

    /// The same as ``name``.
    public var description: String { name }
}
