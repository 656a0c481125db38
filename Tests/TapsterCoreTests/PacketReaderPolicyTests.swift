import Foundation
import Testing
import TapsterCore

/// Whom an admin may entitle to read a capture's packets, and what the entitlement admits
/// (``Policy/requireReaderManagement(_:_:reference:)``, ``Policy/requireEntitleable(_:toRead:reference:)``,
/// ``Policy/mayReadPackets(_:of:)``).
@Suite struct PacketReaderPolicyTests {
    typealias Owners = OwnershipPolicyTests
    static let entitled = Ownership(tenant: "shop", ownerID: "id-alice", readerIDs: ["id-carol", "id-audrey", "id-bob"])

    static func user(_ principal: Principal, disabled: Bool = false) -> User {
        User(id: principal.userID, spec: UserSpec(name: principal.name, role: principal.role, tenants: principal.tenants.sorted()),
             disabled: disabled, createdAt: .init(timeIntervalSince1970: 0), updatedAt: .init(timeIntervalSince1970: 0))
    }

    static func entitling(_ user: User) -> TapsterError? {
        do { try Policy.requireEntitleable(user, toRead: Owners.alicesCapture, reference: "c"); return nil } catch { return error }
    }

    @Test func anEntitledAuditorReadsThePackets() {
        #expect(Policy.mayReadPackets(Fixture.auditor, of: Self.entitled))
        #expect(Owners.code { () throws(TapsterError) in try Policy.requirePacketAccess(Fixture.auditor, Self.entitled, reference: "c") } == nil)
    }

    @Test func anEntitledOwnerOfTheTenantReadsThePackets() {
        #expect(Policy.mayReadPackets(Owners.carol, of: Self.entitled))
    }

    @Test func anEntitlementAdmitsNothingToWhoNoLongerSeesTheCapture() {
        #expect(!Policy.mayReadPackets(Owners.bob, of: Self.entitled))
        #expect(Owners.code { () throws(TapsterError) in try Policy.requirePacketAccess(Owners.bob, Self.entitled, reference: "c") } == .notFound)
    }

    @Test func theEntitlementIsByUserIDNotName() {
        let newAudrey = Principal(userID: "id-audrey-2", name: "audrey", role: .auditor, tenants: [])
        #expect(!Policy.mayReadPackets(newAudrey, of: Self.entitled))
    }

    @Test func onlyAnAdminManagesReaders() {
        #expect(Owners.code { () throws(TapsterError) in try Policy.requireReaderManagement(Fixture.admin, Owners.alicesCapture, reference: "c") } == nil)
        #expect(Owners.code { () throws(TapsterError) in try Policy.requireReaderManagement(Owners.alice, Owners.alicesCapture, reference: "c") } == .forbidden)
        #expect(Owners.code { () throws(TapsterError) in try Policy.requireReaderManagement(Fixture.auditor, Owners.alicesCapture, reference: "c") } == .forbidden)
        #expect(Owners.code { () throws(TapsterError) in try Policy.requireReaderManagement(Owners.bob, Owners.alicesCapture, reference: "c") } == .notFound)
    }

    @Test func auditorsAndOwnersOfTheCapturesTenantCanBeEntitled() {
        #expect(Self.entitling(Self.user(Fixture.auditor)) == nil)
        #expect(Self.entitling(Self.user(Owners.carol)) == nil)
    }

    @Test func anOwnerOfAnotherTenantCannotBeEntitled() {
        #expect(Self.entitling(Self.user(Owners.bob)) == TapsterError.invalid(
            "user", "bob cannot be entitled to read the packets of capture c: only auditors and owners of the capture's tenant (shop) can be entitled"))
    }

    @Test func neitherAnAdminTheOwnerNorADisabledUserCanBeEntitled() {
        #expect(Self.entitling(Self.user(Fixture.admin))?.message.hasSuffix("admins read every capture's packets already") == true)
        #expect(Self.entitling(Self.user(Owners.alice))?.message.hasSuffix("it is their own capture") == true)
        #expect(Self.entitling(Self.user(Fixture.auditor, disabled: true))?.message.hasSuffix("the user is disabled") == true)
    }
}
