import Testing
import TapsterCore

/// Who may see, act on and read the packets of a tap or capture (``Policy/requireOwned(_:_:_:_:reference:)``,
/// ``Policy/requirePacketAccess(_:_:reference:)``): ownership is by user id.
@Suite struct OwnershipPolicyTests {
    static let alice = Principal(userID: "id-alice", name: "alice", role: .owner, tenants: ["shop"])
    /// Another owner of the same tenant.
    static let carol = Principal(userID: "id-carol", name: "carol", role: .owner, tenants: ["shop"])
    /// A new user who took the name of a deleted alice.
    static let newAlice = Principal(userID: "id-alice-2", name: "alice", role: .owner, tenants: ["blog"])
    static let bob = Principal(userID: "id-bob", name: "bob", role: .owner, tenants: ["bank"])
    static let alicesCapture = Ownership(tenant: "shop", ownerID: "id-alice")

    static func code(_ body: () throws(TapsterError) -> Void) -> ErrorCode? {
        do { try body(); return nil } catch { return error.code }
    }

    @Test func theOwnerAndAdminsReadThePackets() {
        #expect(Policy.mayReadPackets(Self.alice, of: Self.alicesCapture))
        #expect(Policy.mayReadPackets(Fixture.admin, of: Self.alicesCapture))
    }

    @Test func anotherOwnerOfTheTenantSeesTheCaptureButNotItsPackets() {
        #expect(Self.code { () throws(TapsterError) in try Policy.requireOwned(Self.carol, .read, .capture, Self.alicesCapture, reference: "c") } == nil)
        #expect(Self.code { () throws(TapsterError) in try Policy.requirePacketAccess(Self.carol, Self.alicesCapture, reference: "c") } == .forbidden)
    }

    @Test func anAuditorReadsMetadataNotPayload() {
        #expect(Self.code { () throws(TapsterError) in try Policy.requireOwned(Fixture.auditor, .read, .capture, Self.alicesCapture, reference: "c") } == nil)
        #expect(Self.code { () throws(TapsterError) in try Policy.requirePacketAccess(Fixture.auditor, Self.alicesCapture, reference: "c") } == .forbidden)
    }

    @Test func anOwnerOfAnotherTenantDoesNotLearnItExists() {
        #expect(Self.code { () throws(TapsterError) in try Policy.requirePacketAccess(Self.bob, Self.alicesCapture, reference: "c") } == .notFound)
        #expect(Self.code { () throws(TapsterError) in try Policy.requireOwned(Self.bob, .read, .tap, Self.alicesCapture, reference: "t") } == .notFound)
    }

    @Test(arguments: [(ResourceKind.tap, Action.reactivate), (.capture, .delete)])
    func onlyTheOwnerOrAnAdminActsOnIt(kind: ResourceKind, action: Action) {
        #expect(Self.code { () throws(TapsterError) in try Policy.requireOwned(Self.alice, action, kind, Self.alicesCapture, reference: "c") } == nil)
        #expect(Self.code { () throws(TapsterError) in try Policy.requireOwned(Fixture.admin, action, kind, Self.alicesCapture, reference: "c") } == nil)
        #expect(Self.code { () throws(TapsterError) in try Policy.requireOwned(Self.carol, action, kind, Self.alicesCapture, reference: "c") } == .forbidden)
    }

    @Test func aNewUserWithAnOldNameInheritsNothing() {
        #expect(!Policy.owns(Self.newAlice, Self.alicesCapture))
        #expect(Self.code { () throws(TapsterError) in try Policy.requirePacketAccess(Self.newAlice, Self.alicesCapture, reference: "c") } == .notFound)
    }

    @Test func anObjectWhoseOwnerIsGoneBelongsToNoOwner() {
        let orphan = Ownership(tenant: "shop", ownerID: nil)
        #expect(!Policy.owns(Self.alice, orphan))
        #expect(!Policy.owns(Principal.system, orphan))
        #expect(Policy.mayReadPackets(Fixture.admin, of: orphan))
    }

    @Test(arguments: [ResourceKind.tap, .capture])
    func aTeammateMayStopItButAnotherTenantMayNot(kind: ResourceKind) {
        #expect(Self.code { () throws(TapsterError) in try Policy.requireOwned(Self.carol, .stop, kind, Self.alicesCapture, reference: "c") } == nil)
        #expect(Self.code { () throws(TapsterError) in try Policy.requireOwned(Self.bob, .stop, kind, Self.alicesCapture, reference: "c") } == .notFound)
        #expect(Self.code { () throws(TapsterError) in try Policy.requireOwned(Fixture.auditor, .stop, kind, Self.alicesCapture, reference: "c") } == .forbidden)
    }
}
