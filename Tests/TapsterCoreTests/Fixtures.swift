import Foundation
import TapsterCore

/// Shared, fixed inputs. Every test builds what it needs from these; nothing depends on the clock.
enum Fixture {
    /// 2026-11-23T18:50:31Z.
    static let t0 = Date(timeIntervalSince1970: 1_795_459_831)

    static func duration(_ text: String) -> TapDuration {
        do { return try TapDuration(parsing: text) } catch { fatalError("fixture duration \(text): \(error)") }
    }

    static func ip(_ text: String) -> IPAddress {
        do { return try IPAddress(parsing: text) } catch { fatalError("fixture address \(text): \(error)") }
    }

    static func cidr(_ text: String) -> CIDR {
        do { return try CIDR(parsing: text) } catch { fatalError("fixture CIDR \(text): \(error)") }
    }

    static func selector(_ text: String) -> LabelSelector {
        do { return try LabelSelector(parsing: text) } catch { fatalError("fixture selector \(text): \(error)") }
    }

    /// An owner of `tenants`, a member of each since ``t0``.
    static func owner(_ name: String = "alice", tenants: Set<String>) -> Principal {
        Principal(userID: "id-\(name)", name: name, role: .owner, tenants: tenants,
                  memberSince: Dictionary(uniqueKeysWithValues: tenants.map { ($0, t0) }))
    }

    static let admin = Principal(userID: "id-root", name: "root", role: .admin, tenants: [])
    static let auditor = Principal(userID: "id-audrey", name: "audrey", role: .auditor, tenants: [])
}
