import SQLKit
import TapsterCore

/// The lock of the rules that decide workloads' tenants (``StoreSession/lockTenancyRules(exclusive:)``).
extension SQLSession {
    /// Any fixed number, the same for every replica, other than the migrations' lock: "tenancy" in ASCII.
    static let tenancyLockKey: Int64 = 0x74_65_6E_61_6E_63_79

    func lockTenancyRules(exclusive: Bool) async throws {
        guard dialect == .postgres else { return }
        try await perform("lock the tenancy rules") {
            if exclusive {
                try await execute("SELECT pg_advisory_xact_lock(\(literal: Self.tenancyLockKey))")
            } else {
                try await execute("SELECT pg_advisory_xact_lock_shared(\(literal: Self.tenancyLockKey))")
            }
        }
    }
}

extension SQLStore {
    /// Outside a transaction the lock ends with the statement: only ``Store/transaction(_:)``'s sessions hold it.
    public func lockTenancyRules(exclusive: Bool) async throws {
        try await onConnection { try await $0.lockTenancyRules(exclusive: exclusive) }
    }
}
