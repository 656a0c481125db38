/// A Section Header Block (SHB, type 0x0A0D0D0A): starts a pcapng section and fixes its byte order.
public struct PcapngSectionHeader: Hashable, Sendable {
    /// The section's byte order; the writer always uses little-endian, the reader reports what it found.
    public var byteOrder: PcapngByteOrder
    /// Major version: 1.
    public var majorVersion: UInt16
    /// Minor version: 0.
    public var minorVersion: UInt16
    /// The section's length in bytes, or −1 when unknown (as a streaming writer leaves it).
    public var sectionLength: Int64
    /// `shb_hardware`: the hardware the capture was made on.
    public var hardware: String?
    /// `shb_os`: the operating system the capture was made on.
    public var operatingSystem: String?
    /// `shb_userappl`: the application that wrote the section.
    public var userApplication: String?
    /// `opt_comment` values.
    public var comments: [String]
    /// Options without a field here, carried unchanged.
    public var otherOptions: [PcapngOption]

    /// Describes a section.
    public init(byteOrder: PcapngByteOrder = .littleEndian, majorVersion: UInt16 = 1, minorVersion: UInt16 = 0,
                sectionLength: Int64 = -1, hardware: String? = nil, operatingSystem: String? = nil,
                userApplication: String? = "Tapster", comments: [String] = [], otherOptions: [PcapngOption] = []) {
        self.byteOrder = byteOrder
        self.majorVersion = majorVersion
        self.minorVersion = minorVersion
        self.sectionLength = sectionLength
        self.hardware = hardware
        self.operatingSystem = operatingSystem
        self.userApplication = userApplication
        self.comments = comments
        self.otherOptions = otherOptions
    }

    /// SHB option codes.
    public enum OptionCode {
        /// `shb_hardware`.
        public static let hardware: UInt16 = 2
        /// `shb_os`.
        public static let operatingSystem: UInt16 = 3
        /// `shb_userappl`.
        public static let userApplication: UInt16 = 4
    }
}
