#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Which way traffic crosses the selected workload's interfaces.
public enum Direction: String, Codable, Sendable, CaseIterable {
    case `in`, out, both
}

/// An IP protocol a ``FlowRule`` can name, as libpcap's filter language spells it.
public enum FlowProtocol: String, Codable, Sendable, CaseIterable {
    case tcp, udp, icmp, icmp6, sctp
}

/// A structured 5-tuple selection, compiled to a BPF fragment: protocol, a network on
/// either side, and a port or port range on either side.
public struct FlowRule: Codable, Sendable, Equatable {
    public var `protocol`: FlowProtocol?
    /// A network that either the source or the destination address is in.
    public var net: CIDR?
    /// A port, or range `low-high`, that either side uses (tcp, udp or sctp only).
    public var port: String?

    public init(protocol: FlowProtocol? = nil, net: CIDR? = nil, port: String? = nil) {
        self.protocol = `protocol`
        self.net = net
        self.port = port
    }

    /// The BPF expression this rule stands for, e.g. `tcp and net 10.0.0.0/8 and port 5432`.
    public func bpf() throws(TapsterError) -> String {
        var parts: [String] = []
        if let p = `protocol` { parts.append(p.rawValue) }
        if let net { parts.append(net.prefixLength == net.address.bytes.count * 8 ? "host \(net.address)" : "net \(net)") }
        if let port {
            let range = try FlowRule.portRange(port)
            if let p = `protocol`, ![.tcp, .udp, .sctp].contains(p) {
                throw TapsterError.invalid("rules.port", "a port needs protocol tcp, udp or sctp, not \(p.rawValue)")
            }
            parts.append(range.count == 1 ? "port \(range.lowerBound)" : "portrange \(range.lowerBound)-\(range.upperBound)")
        }
        guard !parts.isEmpty else { throw TapsterError.invalid("rules", "a rule names at least one of protocol, net, port") }
        return parts.joined(separator: " and ")
    }

    /// Parses `5432` or `8000-8080` into a range inside 1–65535.
    public static func portRange(_ text: String) throws(TapsterError) -> ClosedRange<Int> {
        let ends = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(ends.count), let low = Int(ends[0]), let high = Int(ends[ends.count - 1]),
              (1...65_535).contains(low), (1...65_535).contains(high), low <= high else {
            throw TapsterError.invalid("rules.port", "\"\(text)\" is not a port 1–65535 or a range low-high")
        }
        return low...high
    }
}

/// What an admin writes to define a ``Filter``.
public struct FilterSpec: Codable, Sendable, Equatable {
    public var name: String
    public var description: String?
    public var tenant: String?
    /// Selects the tapped workloads by label, e.g. `app=web,tier in (front,edge)`. May be
    /// empty when ``ports`` selects instead.
    public var selector: LabelSelector
    /// Selects by interface instead of (or as well as) by label: the workloads owning these
    /// interface ids (Neutron port ids), of which only these interfaces are tapped.
    public var ports: [String]?
    /// Optionally selects the peers: only traffic between a selected workload and one of these
    /// is captured (TAPAS's "web ↔ db" relationship).
    public var peerSelector: LabelSelector?
    /// A libpcap filter expression, validated with libpcap's own compiler.
    public var bpf: String?
    /// Structured 5-tuple rules, OR-ed together and AND-ed with ``bpf``.
    public var rules: [FlowRule]?
    /// Defaults to `both`.
    public var direction: Direction?
    /// Notes other APIs keep (``Annotations``), e.g. the Neutron tap flow a filter stands for.
    public var annotations: [String: String]?

    public init(name: String, description: String? = nil, tenant: String? = nil, selector: LabelSelector,
                ports: [String]? = nil, peerSelector: LabelSelector? = nil, bpf: String? = nil, rules: [FlowRule]? = nil,
                direction: Direction? = nil, annotations: [String: String]? = nil) {
        self.name = name
        self.description = description
        self.tenant = tenant
        self.selector = selector
        self.ports = ports
        self.peerSelector = peerSelector
        self.bpf = bpf
        self.rules = rules
        self.direction = direction
        self.annotations = annotations
    }

    public var effectiveDirection: Direction { direction ?? .both }

    /// Whether the filter selects this workload within `scope`: the workload is in the filter's tenant
    /// (when it has one) and in `scope` (``TenantScope``), its labels match ``selector`` and, when
    /// ``ports`` is set, one of its interfaces is among them. There is no selection without a scope:
    /// the tenant boundary holds for every selector form (`!key`, `notin`, `!=` match workloads that
    /// lack a label, in whichever tenant they are).
    public func selects(_ workload: WorkloadSpec, within scope: TenantScope) -> Bool {
        if let tenant, workload.tenant != tenant { return false }
        guard scope.contains(workload.tenant), selector.matches(workload.labels) else { return false }
        guard let ports else { return true }
        return workload.interfaces.contains { ports.contains($0.id) }
    }

    /// The filter's traffic expression without the peer part: ``bpf`` AND (rule OR rule …).
    /// `nil` when the filter selects all traffic of the workload.
    public func trafficExpression() throws(TapsterError) -> String? {
        var clauses: [String] = []
        if let bpf, !bpf.trimming(.whitespaces).isEmpty { clauses.append("(\(bpf))") }
        if let rules, !rules.isEmpty {
            var fragments: [String] = []
            for rule in rules { fragments.append("(\(try rule.bpf()))") }
            clauses.append(fragments.count == 1 ? fragments[0] : "(\(fragments.joined(separator: " or ")))")
        }
        return clauses.isEmpty ? nil : clauses.joined(separator: " and ")
    }

    /// Checks every field except the BPF's compilation (done by the caller with libpcap) and fills in defaults.
    public func validated() throws(TapsterError) -> FilterSpec {
        try ResourceName.validate(name)
        if let description { try Validation.text(description, field: "description", maximum: 1024) }
        if let tenant { try ResourceName.validate(tenant, field: "tenant") }
        if let ports {
            guard (1...64).contains(ports.count), Set(ports).count == ports.count else {
                throw TapsterError.invalid("ports", "names 1–64 distinct interface (port) ids")
            }
            for port in ports where !Identifier.isIdentifier(port) {
                throw TapsterError.invalid("ports", "\"\(port)\" is not an interface (port) id")
            }
        }
        guard !selector.isEmpty || ports != nil else {
            throw TapsterError.invalid("selector", "must select something, e.g. app=web (an empty selector would tap every workload)")
        }
        try Annotations.validate(annotations)
        if let bpf { try Validation.text(bpf, field: "bpf", maximum: 4096) }
        if let rules, rules.count > 64 { throw TapsterError.invalid("rules", "at most 64 rules") }
        _ = try trafficExpression()
        var v = self
        v.direction = effectiveDirection
        if peerSelector?.isEmpty == true { v.peerSelector = nil }
        if bpf?.trimming(.whitespaces).isEmpty == true { v.bpf = nil }
        return v
    }
}

/// An admin-defined selection of traffic.
public typealias Filter = Record<FilterSpec>
