import Foundation

/// What kind of thing a ``Workload`` is.
public enum WorkloadKind: String, Codable, Sendable, CaseIterable {
    /// A host interface (in the host's own namespace).
    case host
    /// A network namespace (named, or of a process).
    case netns
    case container
    case pod
    /// A VM's port.
    case vm
}

/// A network interface of a workload. Its ``id`` is what Neutron calls a port id.
public struct WorkloadInterface: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var name: String
    public var mac: String?
    /// Addresses on the interface, without prefix length.
    public var ips: [IPAddress]

    public init(id: String = Identifier.make(), name: String, mac: String? = nil, ips: [IPAddress] = []) {
        self.id = id
        self.name = name
        self.mac = mac
        self.ips = ips
    }

    private enum CodingKeys: String, CodingKey { case id, name, mac, ips }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id) ?? Identifier.make()
        name = try c.decode(String.self, forKey: .name)
        mac = try c.decodeIfPresent(String.self, forKey: .mac)
        ips = try c.decodeIfPresent([IPAddress].self, forKey: .ips) ?? []
    }
}

/// Something on a host whose traffic can be tapped, as reported by its agent (or registered by an admin).
public struct WorkloadSpec: Codable, Sendable, Equatable {
    public var name: String
    public var kind: WorkloadKind
    /// The agent (host) it runs on.
    public var host: String
    /// The tenant that owns it, if any.
    public var tenant: String?
    public var labels: [String: String]
    /// The network namespace path or name, for `netns`, `container` and `pod`.
    public var netns: String?
    public var interfaces: [WorkloadInterface]
    /// The agent that reports this workload (its inventory replaces it); absent for a workload an
    /// admin registered. Set by the server only.
    public var reportedBy: String?
    /// For a `pod` or `container`: what its container runtime says about it (a pod's Kubernetes namespace).
    public var platform: WorkloadPlatform?
    /// Since when it belongs to ``tenant`` (or to none): what it sent before belongs to whoever owned it then, so
    /// a capture's look-back of it never reaches before this (``CaptureNarrowing/lookBackStart(startedAt:tenantSince:)``).
    /// Set by the server only (``dated(after:at:)``); absent in a request, and in a workload stored before it was kept
    /// (``Record/tenancyStart`` then takes its last change).
    public var tenantSince: Date?

    public init(name: String, kind: WorkloadKind, host: String, tenant: String? = nil, labels: [String: String] = [:],
                netns: String? = nil, interfaces: [WorkloadInterface] = [], reportedBy: String? = nil,
                platform: WorkloadPlatform? = nil) {
        self.name = name
        self.kind = kind
        self.host = host
        self.tenant = tenant
        self.labels = labels
        self.netns = netns
        self.interfaces = interfaces
        self.reportedBy = reportedBy
        self.platform = platform
    }

    private enum CodingKeys: String, CodingKey { case name, kind, host, tenant, labels, netns, interfaces, reportedBy, platform, tenantSince }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        kind = try c.decode(WorkloadKind.self, forKey: .kind)
        host = try c.decode(String.self, forKey: .host)
        tenant = try c.decodeIfPresent(String.self, forKey: .tenant)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        netns = try c.decodeIfPresent(String.self, forKey: .netns)
        interfaces = try c.decodeIfPresent([WorkloadInterface].self, forKey: .interfaces) ?? []
        reportedBy = try c.decodeIfPresent(String.self, forKey: .reportedBy)
        platform = try c.decodeIfPresent(WorkloadPlatform.self, forKey: .platform)
        tenantSince = try c.decodeIfPresent(Date.self, forKey: .tenantSince)
    }

    /// This spec as the successor of `previous` (nil: a new workload), written at `now`: ``tenantSince`` stays
    /// when the tenant does, and is `now` when the workload is new or its tenant changed (whatever a request said).
    public func dated(after previous: Workload?, at now: Date) -> WorkloadSpec {
        var spec = self
        if let previous, previous.tenant == tenant {
            spec.tenantSince = previous.tenancyStart
        } else {
            spec.tenantSince = now
        }
        return spec
    }

    /// The Kubernetes namespace of a pod (its platform's namespace); `nil` for every other kind.
    public var kubernetesNamespace: String? {
        kind == .pod ? platform?.namespace : nil
    }

    /// The name as `kubectl` shows it beside the namespace: a pod's name without the `<namespace>/` its agent
    /// puts in front (workload names are unique per host, pod names per namespace); the name otherwise.
    public var nameInNamespace: String {
        guard let namespace = kubernetesNamespace, name.hasPrefix(namespace + "/") else { return name }
        return String(name.dropFirst(namespace.count + 1))
    }

    public func validated() throws(TapsterError) -> WorkloadSpec {
        guard !name.isEmpty, name.count <= 253, !name.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw TapsterError.invalid("name", "\"\(name)\" must be 1–253 characters without spaces")
        }
        try ResourceName.validate(host, field: "host")
        if let tenant { try ResourceName.validate(tenant, field: "tenant") }
        for (key, value) in labels {
            try LabelSelector.validateKey(key)
            try LabelSelector.validateValue(value)
        }
        var names = Set<String>()
        for interface in interfaces {
            guard !interface.name.isEmpty, interface.name.count <= 15, names.insert(interface.name).inserted else {
                throw TapsterError.invalid("interfaces", "interface names are 1–15 characters and unique (\"\(interface.name)\")")
            }
            guard Identifier.isIdentifier(interface.id) else {
                throw TapsterError.invalid("interfaces", "\"\(interface.id)\" is not an interface id (a UUID)")
            }
            if let mac = interface.mac, !WorkloadSpec.isMAC(mac) {
                throw TapsterError.invalid("interfaces", "\"\(mac)\" is not a MAC address such as 02:42:ac:11:00:02")
            }
        }
        var v = self
        v.platform = try platform?.validated()
        v.interfaces = interfaces.map { var i = $0; i.mac = i.mac?.lowercased(); return i }
        return v
    }

    static func isMAC(_ text: String) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 6 && parts.allSatisfy { $0.count == 2 && UInt8($0, radix: 16) != nil }
    }
}

/// A tappable workload: an interface, a namespace, a container or pod, a VM port.
public typealias Workload = Record<WorkloadSpec>

extension Record where Spec == WorkloadSpec {
    /// Since when the workload belongs to its tenant: ``WorkloadSpec/tenantSince``, or for one stored before that was
    /// kept, its last change — the latest its tenancy can have begun.
    public var tenancyStart: Date { spec.tenantSince ?? updatedAt }
}
