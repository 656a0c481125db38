import Foundation
import Testing
@testable import TapsterServer

/// How changes travel between replicas: the `NOTIFY` payloads' content and size.
@Suite struct ChangeNotificationTests {
    @Test func aBatchTravelsAsOnePayloadAndComesBackWithItsReplicaAndInstance() throws {
        let changes: [Change] = [.tap(id: "t1", .created), .filter(name: "web", .updated), .target(name: "ids", .deleted),
                                 .workload(id: "w1", host: "node-1", .created), .agent(name: "node-1", .updated),
                                 .namespaceMapping(pattern: "shop-*", .deleted), .everything]
        let payloads = ChangeNotification.payloads(replica: "replica-1", instance: "abc", changes: changes)
        #expect(payloads.count == 1)
        let decoded = try #require(ChangeNotification(payload: payloads[0]))
        #expect(decoded == ChangeNotification(replica: "replica-1", instance: "abc", changes: changes))
    }

    @Test func aBatchTooLargeForOnePayloadIsSplitInOrderEachUnderTheLimit() throws {
        let changes = (1...500).map { Change.tap(id: "tap-\(String(repeating: "x", count: 40))-\($0)", .updated) }
        let payloads = ChangeNotification.payloads(replica: "replica-1", instance: "abc", changes: changes)
        #expect(payloads.count > 1)
        #expect(payloads.allSatisfy { $0.utf8.count < ChangeNotification.payloadLimit })
        let decoded = try payloads.flatMap { try #require(ChangeNotification(payload: $0)).changes }
        #expect(decoded == changes)
    }

    @Test func aChangeThatCannotFitAloneTravelsAsEverything() throws {
        let payloads = ChangeNotification.payloads(replica: "replica-1", instance: "abc",
                                                   changes: [.tap(id: String(repeating: "x", count: 200), .updated)], limit: 100)
        #expect(try payloads.map { try #require(ChangeNotification(payload: $0)).changes } == [[.everything]])
    }

    @Test func aChangeThisVersionDoesNotKnowIsReadAsEverything() throws {
        let decoded = try #require(ChangeNotification(payload: #"{"r":"replica-2","i":"x","c":[["flow","f1","c"],["tap","t1","z"],["tap","t2","d"]]}"#))
        #expect(decoded.changes == [.everything, .everything, .tap(id: "t2", .deleted)])
    }

    @Test func aPayloadThatIsNotANotificationIsRefused() {
        #expect(ChangeNotification(payload: "hello") == nil)
        #expect(ChangeNotification(payload: #"{"c":[]}"#) == nil)
    }
}
