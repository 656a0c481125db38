/// An Interface Statistics Block (ISB, type 5): counters of one interface at one moment, typically
/// written when a capture stops. Tapster always writes one per interface, so drops are in the capture.
public struct PcapngInterfaceStatistics: Hashable, Sendable {
    /// The interface (its index among the section's IDBs).
    public var interfaceID: UInt32
    /// When the counters were taken, in nanoseconds since the epoch.
    public var timestamp: UInt64
    /// `isb_starttime`: when the capture started (ns since the epoch).
    public var startTime: UInt64?
    /// `isb_endtime`: when the capture ended (ns since the epoch).
    public var endTime: UInt64?
    /// `isb_ifrecv`: packets the interface received.
    public var received: UInt64?
    /// `isb_ifdrop`: packets the interface dropped (no buffer).
    public var interfaceDrops: UInt64?
    /// `isb_filteraccept`: packets the filter accepted.
    public var filterAccepted: UInt64?
    /// `isb_osdrop`: packets the operating system dropped (capture buffer full).
    public var osDrops: UInt64?
    /// `isb_usrdeliv`: packets delivered to the user.
    public var userDelivered: UInt64?
    /// `opt_comment` values.
    public var comments: [String]

    /// Describes the counters.
    public init(interfaceID: UInt32, timestamp: UInt64, startTime: UInt64? = nil, endTime: UInt64? = nil,
                received: UInt64? = nil, interfaceDrops: UInt64? = nil, filterAccepted: UInt64? = nil,
                osDrops: UInt64? = nil, userDelivered: UInt64? = nil, comments: [String] = []) {
        self.interfaceID = interfaceID
        self.timestamp = timestamp
        self.startTime = startTime
        self.endTime = endTime
        self.received = received
        self.interfaceDrops = interfaceDrops
        self.filterAccepted = filterAccepted
        self.osDrops = osDrops
        self.userDelivered = userDelivered
        self.comments = comments
    }

    /// ISB option codes.
    public enum OptionCode {
        /// `isb_starttime`.
        public static let startTime: UInt16 = 2
        /// `isb_endtime`.
        public static let endTime: UInt16 = 3
        /// `isb_ifrecv`.
        public static let received: UInt16 = 4
        /// `isb_ifdrop`.
        public static let interfaceDrops: UInt16 = 5
        /// `isb_filteraccept`.
        public static let filterAccepted: UInt16 = 6
        /// `isb_osdrop`.
        public static let osDrops: UInt16 = 7
        /// `isb_usrdeliv`.
        public static let userDelivered: UInt16 = 8
    }
}
