import Foundation
import TapsterCore

/// `POST /api/v1/captures`: tcpdump across every instance of an app, through a grant whose target is
/// `stream` (or `store`).
///
/// Without ``filter`` the one grant with a stream (or store) target is used; ``target`` picks among
/// several that share a filter. Everything else only narrows what the grant's filter selects.
public struct CaptureRequest: Codable, Sendable, Equatable {
    /// The admin-defined filter to capture through (`-F`).
    public var filter: String?
    /// The stream or store target, when several grants share the filter.
    public var target: String?
    /// Only the filter's workloads whose labels also match (`-l app=web`).
    public var selector: LabelSelector?
    /// Only this interface of each workload (`-i eth0`).
    public var interface: String?
    /// Bytes kept of each packet (`-s`); capped by the target's payload; 0 or absent: as many as it allows.
    public var snaplen: Int?
    /// A libpcap expression AND-ed with the filter's (tcpdump's trailing words).
    public var bpf: String?
    /// Ends the capture after this many packets (`-c`).
    public var count: UInt64?
    /// Ends the capture after this many packet bytes.
    public var byteLimit: UInt64?
    /// How long (`--for`); the longest the grant allows when absent.
    public var duration: TapDuration?
    /// Write to the capture store instead of streaming (`--store`): needs a grant with a `store` target.
    public var store: Bool?
    /// Which of the owner's tenants the capture belongs to, when they have several.
    public var tenant: String?
    public var description: String?
    /// Start this long before now, with a recorder's packets (`--before 20s`): refused (`not_recorded`) unless a
    /// recorder covers every selected workload with a window at least this long.
    public var before: TapDuration?

    public init(filter: String? = nil, target: String? = nil, selector: LabelSelector? = nil, interface: String? = nil,
                snaplen: Int? = nil, bpf: String? = nil, count: UInt64? = nil, byteLimit: UInt64? = nil,
                duration: TapDuration? = nil, store: Bool? = nil, tenant: String? = nil, description: String? = nil) {
        self.filter = filter
        self.target = target
        self.selector = selector
        self.interface = interface
        self.snaplen = snaplen
        self.bpf = bpf
        self.count = count
        self.byteLimit = byteLimit
        self.duration = duration
        self.store = store
        self.tenant = tenant
        self.description = description
    }

    /// The largest snaplen accepted (libpcap's and tcpdump's default).
    public static let maximumSnaplen = 262_144
    /// How long an admin's capture runs when no grant bounds it and no duration is given.
    public static let defaultAdminDuration = TapDuration(seconds: 15 * 60)

    public var mode: CaptureMode { store == true ? .store : .stream }

    /// Checks every field but the BPF's compilation (done with libpcap by the caller) and returns the
    /// narrowing the capture's tap carries (its snaplen not yet capped by the target).
    public func narrowing() throws(TapsterError) -> CaptureNarrowing {
        if let filter { try ResourceName.validate(filter, field: "filter") }
        if let target { try ResourceName.validate(target, field: "target") }
        if let tenant { try ResourceName.validate(tenant, field: "tenant") }
        if let description { try Validation.text(description, field: "description", maximum: 1024) }
        if let interface {
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_.:@"))
            guard (1...64).contains(interface.utf8.count),
                  interface.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) })
            else { throw TapsterError.invalid("interface", "\"\(interface)\" is not an interface name (letters, digits, - _ . : @; at most 64)") }
        }
        if let snaplen { try Validation.range(snaplen, 0...Self.maximumSnaplen, field: "snaplen") }
        if let count { try Validation.range(count, 1...UInt64.max, field: "count") }
        if let byteLimit { try Validation.range(byteLimit, 1...UInt64.max, field: "byte_limit") }
        let expression = bpf?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let expression { try Validation.text(expression, field: "bpf", maximum: 4096) }
        return CaptureNarrowing(
            mode: mode, selector: selector?.isEmpty == true ? nil : selector, interface: interface,
            snaplen: snaplen == 0 ? nil : snaplen, bpf: expression?.isEmpty == true ? nil : expression,
            packetLimit: count, byteLimit: byteLimit)
            .lookingBack(before)
    }
}
