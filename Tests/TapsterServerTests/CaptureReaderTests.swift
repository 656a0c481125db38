import Foundation
import HTTPTypes
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterStore
import TapsterSystemTestSupport
import TapsterTestSupport
import Testing

/// An admin entitles an auditor or an owner of the capture's tenant to read a capture's packets
/// (`/captures/{id}/readers`), by user id, audited; revoking, deleting or disabling the user ends it.
@Suite struct CaptureReaderTests {
    typealias Rig = CaptureAPITests.Rig

    /// Entitles `user` to read capture `id`'s packets, as the admin.
    static func entitle(_ rig: Rig, _ id: String, _ user: String) async throws -> Capture {
        try await rig.api.expect(Capture.self, .post, "/api/v1/captures/\(id)/readers", token: rig.fixture.admin,
                                 json: CaptureReaderRequest(user: user))
    }

    static func principal(_ rig: Rig, _ name: String) async throws -> Principal {
        try #require(try await rig.controlPlane.store.findUser(name)).principal
    }

    static func readerEvents(_ rig: Rig, _ id: String) async throws -> [AuditEvent] {
        try await rig.api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&object=\(id)", token: rig.fixture.admin)
            .items.filter { $0.action.hasPrefix("capture.reader_") }
    }

    @Test(arguments: StoreKind.available)
    func anAuditorAnAdminEntitledDownloadsAStoredCapture(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let capture = try await CaptureAPITests().completeStoredCapture(rig)
            let refused = try await rig.api.failure(.post, "/api/v1/captures/\(capture.id)/download-url", token: rig.fixture.audrey)
            #expect(refused.status == 403 && refused.error.code == .forbidden)
            _ = try await Self.entitle(rig, capture.id, "audrey")
            let link = try await rig.api.expect(CaptureDownloadLink.self, .post, "/api/v1/captures/\(capture.id)/download-url", token: rig.fixture.audrey)
            let download = try await rig.api.call(.get, link.path, token: nil)
            #expect(download.status == 200 && Int64(download.body.count) == capture.size)
        }
    }

    @Test(arguments: StoreKind.available)
    func anOwnerOfTheTenantAnAdminEntitledAttachesToTheLiveStream(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            let carol = try await Self.principal(rig, "carol")
            _ = try await Self.entitle(rig, id, "carol")
            _ = try await rig.controlPlane.captures.captureReader(carol, id)
            let events = try await rig.api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&object=\(id)", token: rig.fixture.admin).items
            #expect(events.first { $0.action == AuditAction.captureStreamAttached }?.actor == "carol")
        }
    }

    @Test(arguments: StoreKind.available)
    func aRevokedReaderIsRefusedAgain(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let capture = try await CaptureAPITests().completeStoredCapture(rig)
            _ = try await Self.entitle(rig, capture.id, "audrey")
            let revoked = try await rig.api.call(.delete, "/api/v1/captures/\(capture.id)/readers/audrey", token: rig.fixture.admin)
            #expect(revoked.status == 204)
            let (status, error) = try await rig.api.failure(.post, "/api/v1/captures/\(capture.id)/download-url", token: rig.fixture.audrey)
            #expect(status == 403)
            #expect(error == TapsterError(.forbidden, "only the owner of capture \(capture.id), an admin, or a user an admin entitled can read its packets"))
        }
    }

    @Test(arguments: StoreKind.available)
    func aDownloadLinkMadeBeforeTheReaderWasRevokedIsRefusedAndAudited(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let capture = try await CaptureAPITests().completeStoredCapture(rig)
            _ = try await Self.entitle(rig, capture.id, "audrey")
            let link = try await rig.api.expect(CaptureDownloadLink.self, .post, "/api/v1/captures/\(capture.id)/download-url", token: rig.fixture.audrey)
            #expect(try await rig.api.call(.delete, "/api/v1/captures/\(capture.id)/readers/audrey", token: rig.fixture.admin).status == 204)

            let (status, error) = try await rig.api.failure(.get, link.path, token: nil)
            #expect(status == 403)
            #expect(error == TapsterError(.forbidden, "the user this download link was made for may no longer read capture \(capture.id)'s packets"))
            let refused = try await rig.api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?object=\(capture.id)", token: rig.fixture.admin)
                .items.first { $0.action == AuditAction.captureDownloadRefused }
            #expect(refused?.details["reason"] == "reader_not_entitled")
        }
    }

    @Test(arguments: StoreKind.available)
    func aDownloadLinkOfAnOwnerWhoWasDisabledIsRefused(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let capture = try await CaptureAPITests().completeStoredCapture(rig)
            let link = try await rig.api.expect(CaptureDownloadLink.self, .post, "/api/v1/captures/\(capture.id)/download-url", token: rig.fixture.alice)
            _ = try await rig.api.expect(User.self, .patch, "/api/v1/users/alice", token: rig.fixture.admin, json: UserPatch(disabled: true))
            #expect(try await rig.api.failure(.get, link.path, token: nil).status == 403)
        }
    }

    @Test(arguments: StoreKind.available)
    func theCapturesRecordListsItsReadersByUserID(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            let audrey = try await Self.principal(rig, "audrey")
            let entitled = try await Self.entitle(rig, id, "audrey")
            #expect(entitled.readers?.map(\.userId) == [audrey.userID])
            #expect(try await rig.capture(id).readers?.map { [$0.userId, $0.user, $0.grantedBy] } == [[audrey.userID, "audrey", "admin"]])
            #expect(try await rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures", token: rig.fixture.alice)
                .items.first { $0.id == id }?.readers?.map(\.userId) == [audrey.userID])
        }
    }

    @Test(arguments: StoreKind.available)
    func entitlingAndRevokingAreAuditedWithTheAdmin(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            _ = try await Self.entitle(rig, id, "audrey")
            _ = try await Self.entitle(rig, id, "audrey")
            #expect(try await rig.api.call(.delete, "/api/v1/captures/\(id)/readers/audrey", token: rig.fixture.admin).status == 204)
            let events = try await Self.readerEvents(rig, id)
            #expect(events.map(\.action) == [AuditAction.captureReaderGranted, AuditAction.captureReaderRevoked])
            #expect(events.map(\.actor) == ["admin", "admin"])
            #expect(events.map { $0.details["user"] } == ["audrey", "audrey"])
        }
    }

    @Test(arguments: StoreKind.available)
    func anOwnerCannotEntitleAnyoneToTheirCapture(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            let (status, error) = try await rig.api.failure(.post, "/api/v1/captures/\(id)/readers", token: rig.fixture.alice,
                                                            json: CaptureReaderRequest(user: "carol"))
            #expect(status == 403)
            #expect(error == TapsterError(.forbidden, "only an admin can entitle users to read the packets of capture \(id)"))
            #expect(try await rig.capture(id).readers == [])
        }
    }

    @Test(arguments: StoreKind.available)
    func anOwnerOfAnotherTenantCannotBeEntitled(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            let (status, error) = try await rig.api.failure(.post, "/api/v1/captures/\(id)/readers", token: rig.fixture.admin,
                                                            json: CaptureReaderRequest(user: "bob"))
            #expect(status == 400)
            #expect(error == TapsterError.invalid("user", "bob cannot be entitled to read the packets of capture \(id): "
                                                  + "only auditors and owners of the capture's tenant (shop) can be entitled"))
        }
    }

    @Test(arguments: StoreKind.available)
    func revokingAUserWhoIsNotAReaderIsNotFound(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            let (status, error) = try await rig.api.failure(.delete, "/api/v1/captures/\(id)/readers/audrey", token: rig.fixture.admin)
            #expect(status == 404)
            #expect(error == TapsterError(.notFound, "user \"audrey\" is not entitled to read the packets of capture \(id)"))
        }
    }

    @Test(arguments: StoreKind.available)
    func deletingTheUserEndsTheirEntitlementAndANewUserOfTheNameInheritsNone(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let capture = try await CaptureAPITests().completeStoredCapture(rig)
            _ = try await Self.entitle(rig, capture.id, "audrey")
            #expect(try await rig.api.call(.delete, "/api/v1/users/audrey", token: rig.fixture.admin).status == 204)
            #expect(try await rig.capture(capture.id).readers == [])
            let revoked = try await Self.readerEvents(rig, capture.id).last
            #expect(revoked?.action == AuditAction.captureReaderRevoked && revoked?.details["reason"] == "user deleted" && revoked?.actor == "admin")

            _ = try await rig.api.expect(User.self, .post, "/api/v1/users", token: rig.fixture.admin,
                                         json: UserCreateRequest(name: "audrey", role: .auditor, password: "password-of-new-audrey"))
            let token = try await rig.api.expect(IssuedToken.self, .post, "/api/v1/users/audrey/tokens", token: rig.fixture.admin,
                                                 json: TokenRequest(name: "test")).token
            let (status, _) = try await rig.api.failure(.post, "/api/v1/captures/\(capture.id)/download-url", token: token)
            #expect(status == 403)
        }
    }

    @Test(arguments: StoreKind.available)
    func disablingTheUserEndsTheirEntitlement(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            _ = try await Self.entitle(rig, id, "audrey")
            _ = try await rig.api.expect(User.self, .patch, "/api/v1/users/audrey", token: rig.fixture.admin, json: UserPatch(disabled: true))
            #expect(try await rig.capture(id).readers == [])
            #expect(try await Self.readerEvents(rig, id).last?.details["reason"] == "user disabled")
        }
    }

    @Test(arguments: StoreKind.available)
    func anOwnerWhoLeavesTheTenantLosesTheirEntitlement(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            _ = try await Self.entitle(rig, id, "carol")
            _ = try await rig.api.expect(User.self, .patch, "/api/v1/users/carol", token: rig.fixture.admin, json: UserPatch(tenants: ["bank"]))
            #expect(try await rig.capture(id).readers == [])
            #expect(try await Self.readerEvents(rig, id).last?.details["reason"] == "user no longer qualifies")
        }
    }

    @Test(arguments: StoreKind.available)
    func anEntitledReadersLiveStreamIsCutWhenTheyAreDisabled(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            _ = try await Self.entitle(rig, id, "carol")
            let reader = try await rig.controlPlane.captures.captureReader(try await Self.principal(rig, "carol"), id)
            let output = Task { await CaptureBrokerTests.readAll(reader) }
            await rig.controlPlane.captures.cutStreamsNoLongerAllowed()
            #expect(try await rig.capture(id).state == .live, "a reader still entitled keeps reading")

            _ = try await rig.api.expect(User.self, .patch, "/api/v1/users/carol", token: rig.fixture.admin, json: UserPatch(disabled: true))
            await rig.controlPlane.captures.cutStreamsNoLongerAllowed()

            let ended = try await eventually("the capture to end") { () -> Capture? in
                let capture = try await rig.capture(id)
                return capture.state == .live ? nil : capture
            }
            #expect(ended.endReason == .readerRevoked)
            _ = await output.value  // the stream ended
            let detached = try await rig.api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?object=\(id)", token: rig.fixture.admin)
                .items.first { $0.action == AuditAction.captureStreamDetached }
            #expect(detached?.details["reason"] == "reader_revoked" && detached?.details["user"] == "carol")
        }
    }

    @Test(arguments: StoreKind.available)
    func otherOwnersOfTheTenantDoNotSeeWhomAnAdminEntitled(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            _ = try await Self.entitle(rig, id, "audrey")
            #expect(try await rig.capture(id, rig.fixture.carol).readers == nil)
            #expect(try await rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures", token: rig.fixture.carol)
                .items.allSatisfy { $0.readers == nil })
            #expect(try await rig.capture(id).readers?.map(\.user) == ["audrey"], "its owner sees them")
            #expect(try await rig.capture(id, rig.fixture.audrey).readers?.map(\.user) == ["audrey"], "auditors see them")
        }
    }
}
