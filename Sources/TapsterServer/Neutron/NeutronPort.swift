import TapsterCore

/// A Neutron port: a workload interface, read-only.
///
/// `id` is the interface id, `device_id` the workload's id, `binding:host_id` its host; the
/// name is `<workload>/<interface>` (e.g. `web-1/eth0`); the tenant is the workload's.
struct NeutronPort: NeutronListable, Equatable {
    struct FixedIP: Encodable, Equatable, Sendable {
        let ipAddress: String
        private enum CodingKeys: String, CodingKey { case ipAddress = "ip_address" }
    }

    let id: String
    let name: String
    let tenantId: String
    let macAddress: String
    let fixedIPs: [FixedIP]
    let status: String
    let deviceId: String
    let hostId: String

    init(interface: WorkloadInterface, of workload: Workload) {
        id = interface.id
        name = "\(workload.name)/\(interface.name)"
        tenantId = workload.tenant ?? ""
        macAddress = interface.mac ?? ""
        fixedIPs = interface.ips.map { FixedIP(ipAddress: $0.description) }
        status = "ACTIVE"
        deviceId = workload.id
        hostId = workload.host
    }

    /// Every port of these workloads.
    static func all(of workloads: [Workload]) -> [NeutronPort] {
        workloads.flatMap { workload in workload.interfaces.map { NeutronPort(interface: $0, of: workload) } }
    }

    var filterable: [String: String] {
        ["id": id, "name": name, "tenant_id": tenantId, "project_id": tenantId, "mac_address": macAddress,
         "status": status, "device_id": deviceId, "binding:host_id": hostId]
    }

    private enum CodingKeys: String, CodingKey {
        case id, name, status
        case tenantId = "tenant_id", projectId = "project_id", macAddress = "mac_address", fixedIPs = "fixed_ips"
        case deviceId = "device_id", hostId = "binding:host_id"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(tenantId, forKey: .tenantId)
        try c.encode(tenantId, forKey: .projectId)
        try c.encode(macAddress, forKey: .macAddress)
        try c.encode(fixedIPs, forKey: .fixedIPs)
        try c.encode(status, forKey: .status)
        try c.encode(deviceId, forKey: .deviceId)
        try c.encode(hostId, forKey: .hostId)
    }
}
