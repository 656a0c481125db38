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

    var fields: [(name: String, value: NeutronFieldValue)] {
        [("id", .text(id)), ("name", .text(name))] + Self.tenantFields(tenantId) + [
            ("mac_address", .text(macAddress)), ("fixed_ips", .value(fixedIPs)), ("status", .text(status)),
            ("device_id", .text(deviceId)), ("binding:host_id", .text(hostId)),
        ]
    }
}
