import Foundation
import TapsterCore
import TapsterStore

/// Fixed times and small objects for the store tests. Times are whole milliseconds, as stored.
enum Fixtures {
    /// 2026-01-01T00:00:00Z.
    static let start = Date(timeIntervalSince1970: 1_767_225_600)

    static func at(_ seconds: Int) -> Date {
        start.addingTimeInterval(TimeInterval(seconds))
    }

    static func tenant(_ name: String) -> Tenant {
        Tenant(createdAt: start, spec: TenantSpec(name: name, description: "tenant \(name)"))
    }

    static func target(_ name: String, tenant: String? = nil, createdAt: Date = start) -> Target {
        Target(createdAt: createdAt, spec: TargetSpec(name: name, tenant: tenant, kind: .stream, payload: .full))
    }

    static func filter(_ name: String, tenant: String? = nil) -> Filter {
        Filter(createdAt: start, spec: FilterSpec(name: name, tenant: tenant, selector: LabelSelector(matching: ["app": "web"]),
                                                  bpf: "tcp port 443", direction: .both))
    }

    static func grant(tenant: String, filter: String, target: String) -> Grant {
        Grant(createdAt: start, spec: GrantSpec(tenant: tenant, filter: filter, target: target, maxDuration: TapDuration(seconds: 3600)))
    }

    static func workload(_ name: String, host: String, tenant: String? = nil) -> Workload {
        Workload(createdAt: start, spec: WorkloadSpec(name: name, kind: .container, host: host, tenant: tenant,
                                                      labels: ["app": "web", "team_name": "blue", "tier": "front"]))
    }

    static func user(_ name: String, role: Role = .owner, tenants: [String] = ["blue"]) -> User {
        User(spec: UserSpec(name: name, role: role, tenants: role == .owner ? tenants : []), createdAt: start)
    }

    static func token(_ name: String, of user: User, createdAt: Date = start) -> APIToken {
        APIToken(userId: user.id, name: name, createdAt: createdAt, expiresAt: at(86_400))
    }

    static func tap(owner: String = "alice", tenant: String? = "blue", createdAt: Date = start, seconds: Int64 = 600,
                    state: TapState = .active, filter: String = "web", target: String = "tool") -> Tap {
        Tap(tenant: tenant, owner: owner, ownerID: "id-\(owner)", filter: filter, target: target, state: state, duration: TapDuration(seconds: seconds),
            createdAt: createdAt)
    }

    static func entry(_ action: String, actor: String = "alice", objectType: String = "tap", objectId: String? = nil,
                      tenant: String? = "blue", details: [String: String] = [:]) -> AuditEntry {
        AuditEntry(actor: actor, action: action, objectType: objectType, objectId: objectId, objectName: nil, tenant: tenant,
                   details: details)
    }
}
