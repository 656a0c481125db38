/// Where a tap's packets go.
public enum TargetKind: String, Codable, Sendable, CaseIterable {
    /// ERSPAN type II (GRE 0x88BE) or type III (0x22EB) to a tool's address.
    case erspan
    /// VXLAN (UDP, default port 4789) with a VNI.
    case vxlan
    /// GRE transparent Ethernet bridging (0x6558).
    case gre
    /// Delivered into a workload interface — Neutron's tap service (monitoring port).
    case port
    /// Streamed live to the requesting user through the API.
    case stream
    /// Written to object storage for later download.
    case store
    /// Summarised by the agents into flow records (and the HTTP exchanges they carry): no packet leaves the host.
    case flows

    /// Whether packets are encapsulated and sent to ``TargetSpec/destination``.
    public var isTunnel: Bool { self == .erspan || self == .vxlan || self == .gre }
}

/// What an admin writes to define a ``Target``. Fields not used by the ``kind`` must be absent.
public struct TargetSpec: Codable, Sendable, Equatable {
    public var name: String
    public var description: String?
    /// The tenant that owns this target; `nil` for a target shared across tenants through grants.
    public var tenant: String?
    public var kind: TargetKind
    /// The tool's address (erspan, vxlan, gre).
    public var destination: IPAddress?
    /// ERSPAN version: 2 (type II) or 3 (type III). Defaults to 2.
    public var erspanVersion: Int?
    /// ERSPAN session id, 1–1023.
    public var sessionId: Int?
    /// VXLAN network identifier, 0–16777215.
    public var vni: Int?
    /// VXLAN destination UDP port; defaults to 4789.
    public var udpPort: Int?
    /// Optional GRE key.
    public var greKey: UInt32?
    /// The workload interface (Neutron port) a `port` target delivers into.
    public var portId: String?
    /// How long a `store` target keeps captures; defaults to 7 days.
    public var retention: TapDuration?
    /// Full packets or headers only; defaults to `full`.
    public var payload: Payload?
    /// Optional per-tap, per-host bandwidth limit.
    public var bandwidthCap: BandwidthCap?
    /// Notes other APIs keep (``Annotations``), e.g. a Neutron tap service's display name.
    public var annotations: [String: String]?

    public init(name: String, description: String? = nil, tenant: String? = nil, kind: TargetKind,
                destination: IPAddress? = nil, erspanVersion: Int? = nil, sessionId: Int? = nil,
                vni: Int? = nil, udpPort: Int? = nil, greKey: UInt32? = nil, portId: String? = nil,
                retention: TapDuration? = nil, payload: Payload? = nil, bandwidthCap: BandwidthCap? = nil,
                annotations: [String: String]? = nil) {
        self.name = name
        self.description = description
        self.tenant = tenant
        self.kind = kind
        self.destination = destination
        self.erspanVersion = erspanVersion
        self.sessionId = sessionId
        self.vni = vni
        self.udpPort = udpPort
        self.greKey = greKey
        self.portId = portId
        self.retention = retention
        self.payload = payload
        self.bandwidthCap = bandwidthCap
        self.annotations = annotations
    }

    public static let defaultVXLANPort = 4789
    public static let defaultRetention = TapDuration(seconds: 7 * 86_400)

    /// The payload in force (``Payload/full`` when unset).
    public var effectivePayload: Payload { payload ?? .full }

    /// Checks every field against the kind and fills in defaults.
    public func validated() throws(TapsterError) -> TargetSpec {
        try ResourceName.validate(name)
        if let description { try Validation.text(description, field: "description", maximum: 1024) }
        if let tenant { try ResourceName.validate(tenant, field: "tenant") }
        try Annotations.validate(annotations)
        var v = self
        v.payload = effectivePayload
        let because = "for \(kind == .erspan ? "an" : "a") \(kind.rawValue) target"
        if kind.isTunnel {
            _ = try Validation.required(destination, field: "destination", because: because)
        } else {
            try Validation.absent(destination, field: "destination", because: because)
        }
        if kind == .erspan {
            let version = erspanVersion ?? 2
            guard version == 2 || version == 3 else {
                throw TapsterError.invalid("erspan_version", "\(version) is not 2 (type II) or 3 (type III)")
            }
            v.erspanVersion = version
            try Validation.range(try Validation.required(sessionId, field: "session_id", because: because), 1...1023, field: "session_id")
        } else {
            try Validation.absent(erspanVersion, field: "erspan_version", because: because)
            try Validation.absent(sessionId, field: "session_id", because: because)
        }
        if kind == .vxlan {
            try Validation.range(try Validation.required(vni, field: "vni", because: because), 0...16_777_215, field: "vni")
            let port = udpPort ?? TargetSpec.defaultVXLANPort
            try Validation.range(port, 1...65_535, field: "udp_port")
            v.udpPort = port
        } else {
            try Validation.absent(vni, field: "vni", because: because)
            try Validation.absent(udpPort, field: "udp_port", because: because)
        }
        if kind != .gre { try Validation.absent(greKey, field: "gre_key", because: because) }
        if kind == .port {
            let port = try Validation.required(portId, field: "port_id", because: because)
            guard Identifier.isIdentifier(port) else { throw TapsterError.invalid("port_id", "\"\(port)\" is not a port (interface) id") }
        } else {
            try Validation.absent(portId, field: "port_id", because: because)
        }
        if kind == .flows {
            try Validation.absent(payload, field: "payload", because: because + " (it keeps no payload)")
            try Validation.absent(bandwidthCap, field: "bandwidth_cap", because: because + " (no packet leaves the host)")
            // The agent reads whole packets to summarise them; none is sent, so there is no payload to show.
            v.payload = nil
        }
        if kind == .store {
            v.retention = retention ?? TargetSpec.defaultRetention
        } else {
            try Validation.absent(retention, field: "retention", because: because)
        }
        return v
    }
}

/// An admin-defined destination for tapped traffic.
public typealias Target = Record<TargetSpec>
