import Foundation
import HTTPTypes
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterStore
import TapsterSystemTestSupport
import TapsterTestSupport
import Testing

/// The SQLite store on a disk that fills up (a real 1 MiB tmpfs, so the kernel answers ENOSPC): a write is
/// refused with a clear reason and changes nothing, reads go on, the audit chain stays whole, and once there
/// is room again writes work.
@Suite(.serialized) struct DatabaseDiskFullTests {
    /// Fills the filesystem at `mount` with one file until the kernel refuses; its path.
    static func fill(_ mount: URL) throws -> URL {
        let filler = mount.appendingPathComponent("filler")
        _ = try ProcessRunner.run(["dd", "if=/dev/zero", "of=\(filler.path)", "bs=4096"], allowFailure: true)
        return filler
    }

    @Test("a write to a full SQLite disk is refused with unavailable, changes nothing, and works again once there is room")
    func aFullDiskRefusesWritesAndKeepsTheStoreConsistent() async throws {
        try await CaptureStoreFullTests.withSmallFilesystem { mount in
            let store = try await SQLStore.open(try DatabaseConfiguration(parsing: mount.path + "/tapster.sqlite"), logger: TestDatabase.quietLogger)
            try await store.migrate()
            try await TestServer.serve(store) { api, _ in
                let admin = TestServer.adminToken
                _ = try await api.expect(Tenant.self, .post, "/api/v1/tenants", token: admin, json: TenantSpec(name: "before"))
                let filler = try Self.fill(mount)

                let (status, error) = try await api.failure(.post, "/api/v1/tenants", token: admin, json: TenantSpec(name: "after"))
                #expect(status == 503 && error.code == .unavailable, "\(error)")
                #expect(error.message.hasPrefix("the database's disk is full, so nothing was changed"), "\(error.message)")
                let names = try await api.expect(ItemList<Tenant>.self, .get, "/api/v1/tenants", token: admin).items.map(\.name)
                #expect(names == ["before"], "reads go on, and the refused write left nothing")

                try FileManager.default.removeItem(at: filler)
                _ = try await api.expect(Tenant.self, .post, "/api/v1/tenants", token: admin, json: TenantSpec(name: "after"))
                let verification = try await api.expect(AuditVerification.self, .get, "/api/v1/audit/verify", token: admin)
                #expect(verification.valid, "\(verification)")
            }
            try await store.shutdown()
        }
    }
}
