/// The tunnelled packets a ``PortReceiver`` dropped before any reception took them, since it started.
public struct PortReceiverRefusals: Hashable, Sendable {
    /// GRE-TEB packets whose key is no reception's (a guess, or a tap that ended).
    public var unknownKey: UInt64
    /// Packets with a reception's key from an address that reception does not allow (also counted in that
    /// reception's ``PortReceptionCounters/refused``).
    public var unplannedSource: UInt64
    /// GRE packets that are not keyed GRE-TEB carrying at least an Ethernet header.
    public var malformed: UInt64

    /// Counts with the given values (zero by default).
    public init(unknownKey: UInt64 = 0, unplannedSource: UInt64 = 0, malformed: UInt64 = 0) {
        self.unknownKey = unknownKey
        self.unplannedSource = unplannedSource
        self.malformed = malformed
    }

    /// All refused packets.
    public var total: UInt64 { unknownKey &+ unplannedSource &+ malformed }
}
