import Foundation
import Testing
import TapsterCore

/// When a user joined each tenant (``User/memberSince``): the start of what a look-back may show them.
@Suite("User memberships")
struct UserMembershipTests {
    static func alice(_ tenants: [String]) -> User {
        User(id: "id-alice", spec: UserSpec(name: "alice", role: .owner, tenants: tenants), createdAt: Fixture.t0)
    }

    @Test func aNewUserIsAMemberOfEachTenantSinceItsCreation() {
        #expect(Self.alice(["shop", "bank"]).memberSince == ["shop": Fixture.t0, "bank": Fixture.t0])
    }

    @Test func aTenantJoinedLaterStartsThenAndTheOthersKeepTheirDates() {
        var user = Self.alice(["shop"])
        user.spec.tenants = ["shop", "bank"]
        user.recordMemberships(at: Fixture.t0.addingTimeInterval(60))
        #expect(user.memberSince == ["shop": Fixture.t0, "bank": Fixture.t0.addingTimeInterval(60)])
    }

    @Test func aTenantLeftAndJoinedAgainStartsAgain() {
        var user = Self.alice(["shop", "bank"])
        user.spec.tenants = ["shop"]
        user.recordMemberships(at: Fixture.t0.addingTimeInterval(60))
        #expect(user.memberSince == ["shop": Fixture.t0])
        user.spec.tenants = ["shop", "bank"]
        user.recordMemberships(at: Fixture.t0.addingTimeInterval(120))
        #expect(user.memberSince["bank"] == Fixture.t0.addingTimeInterval(120))
    }

    @Test func theUsersPrincipalCarriesTheDates() {
        #expect(Self.alice(["shop"]).principal.memberSince == ["shop": Fixture.t0])
    }

    @Test func aUserStoredWithoutDatesIsAMemberSinceItsLastChange() throws {
        let stored = #"{"id":"id-alice","name":"alice","role":"owner","tenants":["shop"],"createdAt":0,"updatedAt":60}"#
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        let user = try decoder.decode(User.self, from: Data(stored.utf8))
        #expect(user.memberSince == ["shop": Date(timeIntervalSince1970: 60)])
    }

    @Test func theDatesSurviveEncoding() throws {
        var user = Self.alice(["shop"])
        user.spec.tenants = ["shop", "bank"]
        user.recordMemberships(at: Fixture.t0.addingTimeInterval(60))
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        #expect(try decoder.decode(User.self, from: encoder.encode(user)).memberSince == user.memberSince)
    }
}
