import Foundation
import TapsterTestSupport
import Testing

/// CI must run every store test on PostgreSQL too, never skip it silently.
@Suite struct CIGuardTests {
    @Test func postgresIsConfiguredWhenRunningInCI() {
        guard StoreKind.isCI else { return }
        #expect(StoreKind.postgresAdminURL != nil,
                "CI=true but \(StoreKind.postgresURLVariable) is unset: PostgreSQL tests would be skipped (start one with scripts/postgres-for-tests.sh start)")
        #expect(StoreKind.available == [.sqlite, .postgres])
    }
}
