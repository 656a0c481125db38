import Foundation
import HTTPTypes
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterStore
import TapsterSystemTestSupport
import TapsterTestSupport
import Testing

/// Packets go only to whom the policy entitles: a capture's owner (by user id) and admins. Another owner
/// of the same tenant and an auditor see the capture, but read none of its packets and act on nothing.
@Suite struct CaptureEntitlementTests {
    typealias Rig = CaptureAPITests.Rig

    @Test(arguments: StoreKind.available)
    func anotherOwnerOfTheTenantCannotMintADownloadLink(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create(CaptureRequest(store: true)).capture.id
            let (status, error) = try await rig.api.failure(.post, "/api/v1/captures/\(id)/download-url", token: rig.fixture.carol)
            #expect(status == 403)
            #expect(error == TapsterError(.forbidden, "only the owner of capture \(id), an admin, or a user an admin entitled can read its packets"))
        }
    }

    @Test(arguments: StoreKind.available)
    func anAuditorReadsTheCaptureButNotItsPackets(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create(CaptureRequest(store: true)).capture.id
            #expect(try await rig.capture(id, rig.fixture.audrey).id == id)
            let (status, error) = try await rig.api.failure(.post, "/api/v1/captures/\(id)/download-url", token: rig.fixture.audrey)
            #expect(status == 403 && error.code == .forbidden)
        }
    }

    @Test(arguments: StoreKind.available)
    func anOwnerOfAnotherTenantDoesNotLearnTheCaptureExists(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            let (status, error) = try await rig.api.failure(.get, "/api/v1/captures/\(id)/stream", token: rig.fixture.bob)
            #expect(status == 404 && error.code == .notFound)
        }
    }

    @Test(arguments: StoreKind.available)
    func anotherOwnerOfTheTenantCannotAttachToTheLiveStreamAndTheOwnerStillCan(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            let (status, error) = try await rig.api.failure(.get, "/api/v1/captures/\(id)/stream", token: rig.fixture.carol)
            #expect(status == 403)
            #expect(error == TapsterError(.forbidden, "only the owner of capture \(id), an admin, or a user an admin entitled can read its packets"))
            let alice = try #require(try await rig.controlPlane.store.findUser("alice")).principal
            _ = try await rig.controlPlane.captures.captureReader(alice, id)
            #expect(try await rig.capture(id).state == .live)
        }
    }

    @Test(arguments: StoreKind.available)
    func attachingToALiveStreamIsAuditedWithTheReader(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            let alice = try #require(try await rig.controlPlane.store.findUser("alice")).principal
            _ = try await rig.controlPlane.captures.captureReader(alice, id)
            let events = try await rig.api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&object=\(id)", token: rig.fixture.admin).items
            let attached = try #require(events.first { $0.action == AuditAction.captureStreamAttached })
            #expect(attached.actor == "alice")
        }
    }

    @Test(arguments: StoreKind.available)
    func anotherOwnerOfTheTenantCannotDeleteTheCapture(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create(CaptureRequest(store: true)).capture.id
            let deletion = try await rig.api.failure(.delete, "/api/v1/captures/\(id)", token: rig.fixture.carol)
            #expect(deletion.status == 403)
            #expect(deletion.error == TapsterError(.forbidden, "only the owner of capture \(id) or an admin can delete it"))
            #expect(try await rig.capture(id).state == .live)
        }
    }

    @Test(arguments: StoreKind.available)
    func aNewUserWhoTakesADeletedOwnersNameInheritsNone(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create(CaptureRequest(store: true)).capture.id
            let admin = rig.fixture.admin
            for grant in try await rig.api.expect(ItemList<Grant>.self, .get, "/api/v1/grants", token: admin).items where grant.user == "alice" {
                #expect(try await rig.api.call(.delete, "/api/v1/grants/\(grant.id)", token: admin).status == 204)
            }
            #expect(try await rig.api.call(.delete, "/api/v1/users/alice", token: admin).status == 204)
            _ = try await rig.api.expect(User.self, .post, "/api/v1/users", token: admin,
                                         json: UserCreateRequest(name: "alice", role: .owner, tenants: ["bank"], password: "password-of-new-alice"))
            let token = try await rig.api.expect(IssuedToken.self, .post, "/api/v1/users/alice/tokens", token: admin,
                                                 json: TokenRequest(name: "test")).token
            let listed = try await rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures", token: token)
            #expect(listed.items.isEmpty)
            let (status, _) = try await rig.api.failure(.post, "/api/v1/captures/\(id)/download-url", token: token)
            #expect(status == 404)
        }
    }
}
