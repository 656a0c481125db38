import Foundation
import TapsterCore
import TapsterWire

/// How an agent's inventory report changes the workloads of its host. Pure.
///
/// The report replaces what that agent reported before: workloads it no longer reports are
/// deleted, new ones inserted, changed ones updated. Ids are stable: a workload keeps its id as long
/// as the agent reports its name, and an interface keeps its id (its Neutron port id) as long as the
/// workload has an interface of that name. A workload an admin registered on the host under the same
/// name is taken over by the agent (same ids); the admin's other workloads stay as they are.
///
/// A workload's tenant and the labels the server sets are ``WorkloadTenancy``'s decision: a pod's tenant comes
/// from the namespace mappings of its Kubernetes namespace only; any other workload's is its `tenant` label,
/// when a tenant of that name exists.
enum InventoryMerge {
    /// The writes a report needs, and the workloads it described wrongly (skipped, with why).
    struct Changes: Sendable, Equatable {
        var inserted: [Workload] = []
        var updated: [Workload] = []
        var deleted: [Workload] = []
        var rejected: [String] = []

        var isEmpty: Bool { inserted.isEmpty && updated.isEmpty && deleted.isEmpty }
    }

    /// - Parameters:
    ///   - existing: the workloads now stored on the agent's host (`host == agent`).
    ///   - tenancy: the tenants that exist and the namespace mappings.
    static func merge(_ inventory: Tapster_Agent_V1_Inventory, agent: String, existing: [Workload], tenancy: WorkloadTenancy,
                      now: Date) -> Changes {
        var changes = Changes()
        let stored = Dictionary(existing.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var reported = Set<String>()
        for report in inventory.workloads {
            guard !reported.contains(report.name) else {
                changes.rejected.append("\(report.name): reported twice")
                continue
            }
            let previous = stored[report.name]
            let spec: WorkloadSpec
            do {
                // Dated before the comparison below: an unchanged tenant keeps its date, so an unchanged report writes nothing.
                spec = try self.spec(of: report, agent: agent, previous: previous, tenancy: tenancy).dated(after: previous, at: now)
            } catch {
                changes.rejected.append("\(report.name.isEmpty ? "(no name)" : report.name): \(error.message)")
                continue
            }
            reported.insert(report.name)
            if var workload = previous {
                guard workload.spec != spec else { continue }
                workload.spec = spec
                workload.updatedAt = now
                changes.updated.append(workload)
            } else {
                changes.inserted.append(Workload(createdAt: now, spec: spec))
            }
        }
        changes.deleted = existing.filter { $0.reportedBy == agent && !reported.contains($0.name) }
        return changes
    }

    /// The stored spec of one reported workload, validated as the API validates a registration.
    static func spec(of report: Tapster_Agent_V1_WorkloadReport, agent: String, previous: Workload?,
                     tenancy: WorkloadTenancy) throws(TapsterError) -> WorkloadSpec {
        guard let kind = WorkloadKind(rawValue: report.kind) else {
            throw TapsterError.invalid("kind", "\"\(report.kind)\" is not one of \(WorkloadKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var interfaces: [WorkloadInterface] = []
        for interface in report.interfaces {
            var ips: [IPAddress] = []
            for text in interface.ips {
                // A link-local address may carry its zone (`fe80::1%eth0`): the interface already says it.
                let address = text.split(separator: "%", maxSplits: 1).first.map(String.init) ?? text
                do {
                    ips.append(try IPAddress(parsing: address))
                } catch {
                    throw TapsterError.invalid("interfaces", "\(interface.name): \"\(text)\" is not an IP address")
                }
            }
            let id = previous?.interfaces.first { $0.name == interface.name }?.id ?? Identifier.make()
            interfaces.append(WorkloadInterface(id: id, name: interface.name, mac: interface.mac.isEmpty ? nil : interface.mac, ips: ips))
        }
        let spec = WorkloadSpec(name: report.name, kind: kind, host: agent, labels: report.labels,
                                netns: report.netns.isEmpty ? nil : report.netns, interfaces: interfaces, reportedBy: agent,
                                platform: report.hasPlatform ? platform(of: report.platform) : nil)
        return try tenancy.applied(to: spec).validated()
    }

    /// The runtime's account of a pod or container; empty fields are absent.
    static func platform(of report: Tapster_Agent_V1_PlatformReport) -> WorkloadPlatform {
        func present(_ text: String) -> String? { text.isEmpty ? nil : text }
        return WorkloadPlatform(runtime: report.runtime, namespace: present(report.namespace), uid: present(report.uid),
                                image: present(report.image), hostNetwork: report.hostNetwork)
    }
}
