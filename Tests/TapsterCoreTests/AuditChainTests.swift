import Foundation
import Testing
import TapsterCore

@Suite("AuditChain")
struct AuditChainTests {
    static let entries: [AuditEntry] = [
        AuditEntry(actor: "system", action: AuditAction.serverStarted, objectType: "server"),
        AuditEntry(actor: "root", action: AuditAction.created("target"), objectType: "target", objectId: "t-1", objectName: "ids"),
        AuditEntry(actor: "alice", action: AuditAction.tapCreated, objectType: "tap", objectId: "p-1", tenant: "shop",
                   details: ["filter": "web-db", "target": "ids", "deadline": "2026-11-23T19:50:31.000Z"]),
        AuditEntry(actor: "alice", action: AuditAction.tapStopped, objectType: "tap", objectId: "p-1", tenant: "shop",
                   details: ["stopped_by": "user"]),
        AuditEntry(actor: "system", action: AuditAction.tapExpired, objectType: "tap", objectId: "p-2", tenant: "shop"),
    ]

    /// Five events sealed one after the other, a second apart.
    static func chain() -> [AuditEvent] {
        var events: [AuditEvent] = []
        var previous = AuditChain.genesisHash
        for (i, entry) in entries.enumerated() {
            let event = AuditChain.seal(entry, sequence: Int64(i + 1), time: Fixture.t0.addingTimeInterval(Double(i) + 0.123),
                                        previousHash: previous)
            events.append(event)
            previous = event.hash
        }
        return events
    }

    static func head(_ events: [AuditEvent]) -> (sequence: Int64, hash: String) {
        (events.last!.sequence, events.last!.hash)
    }

    static let valid5 = AuditVerification(valid: true, checked: 5, firstBrokenSequence: nil, reason: nil)

    // MARK: Sealing

    @Test("the genesis hash is 64 zeros")
    func genesisHash() {
        #expect(AuditChain.genesisHash == String(repeating: "0", count: 64))
    }

    @Test("sealing copies the entry, links to the previous hash and sets the event's own hash")
    func sealing() {
        let entry = Self.entries[2]
        let event = AuditChain.seal(entry, sequence: 3, time: Fixture.t0, previousHash: AuditChain.genesisHash)
        #expect(event.sequence == 3)
        #expect(event.time == Fixture.t0)
        #expect(event.actor == entry.actor)
        #expect(event.action == entry.action)
        #expect(event.objectType == entry.objectType)
        #expect(event.objectId == entry.objectId)
        #expect(event.objectName == entry.objectName)
        #expect(event.tenant == entry.tenant)
        #expect(event.details == entry.details)
        #expect(event.previousHash == AuditChain.genesisHash)
        #expect(event.hash == AuditChain.hash(of: event))
    }

    @Test("a chain starts at the genesis hash and each event links to the one before")
    func chainLinks() {
        let events = Self.chain()
        #expect(events.map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(events[0].previousHash == AuditChain.genesisHash)
        for i in 1..<events.count { #expect(events[i].previousHash == events[i - 1].hash) }
    }

    @Test("a hash is 64 lowercase hex digits", arguments: AuditChainTests.chain())
    func hashShape(event: AuditEvent) {
        #expect(event.hash.count == 64)
        #expect(event.hash.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) })
    }

    @Test("the hash is SHA-256 of the length-prefixed fields, an absent optional written '-', time in milliseconds")
    func knownAnswer() {
        let event = AuditChain.seal(
            AuditEntry(actor: "alice", action: "tap.created", objectType: "tap", objectId: "t-1", tenant: "shop", details: ["filter": "web-db"]),
            sequence: 1, time: Date(timeIntervalSince1970: 1_795_459_831.123), previousHash: AuditChain.genesisHash)
        // sha256("1:1" "13:1795459831123" "5:alice" "11:tap.created" "3:tap" "3:t-1" "-" "4:shop" "6:filter" "6:web-db" "64:000…0")
        #expect(event.hash == "0dbf7dde5d3e22b20d1433d56aa318abfa7563cb3747db1f6f2a06353436c51d")
    }

    @Test("the hash does not depend on the order details were inserted in")
    func detailsOrderIndependent() {
        let pairs = [("filter", "web-db"), ("target", "ids"), ("deadline", "2026-11-23T19:50:31.000Z"), ("owner", "alice")]
        var forward: [String: String] = [:]
        for (k, v) in pairs { forward[k] = v }
        var backward: [String: String] = [:]
        for (k, v) in pairs.reversed() { backward[k] = v }
        let a = AuditChain.seal(AuditEntry(actor: "alice", action: "tap.created", objectType: "tap", details: forward),
                                sequence: 1, time: Fixture.t0, previousHash: AuditChain.genesisHash)
        let b = AuditChain.seal(AuditEntry(actor: "alice", action: "tap.created", objectType: "tap", details: backward),
                                sequence: 1, time: Fixture.t0, previousHash: AuditChain.genesisHash)
        #expect(a.hash == b.hash)
    }

    @Test("the time is hashed to the millisecond")
    func timeInMilliseconds() {
        let entry = Self.entries[0]
        let a = AuditChain.seal(entry, sequence: 1, time: Fixture.t0, previousHash: AuditChain.genesisHash)
        let b = AuditChain.seal(entry, sequence: 1, time: Fixture.t0.addingTimeInterval(0.0004), previousHash: AuditChain.genesisHash)
        let c = AuditChain.seal(entry, sequence: 1, time: Fixture.t0.addingTimeInterval(0.001), previousHash: AuditChain.genesisHash)
        #expect(a.hash == b.hash)
        #expect(a.hash != c.hash)
    }

    @Test("different events never share a canonical form", arguments: [
        (AuditEntry(actor: "a", action: "x", objectType: "t"), AuditEntry(actor: "a", action: "x", objectType: "t", objectId: "\u{0}")),
        (AuditEntry(actor: "a", action: "x", objectType: "t"), AuditEntry(actor: "a", action: "x", objectType: "t", objectId: "")),
        (AuditEntry(actor: "a", action: "x", objectType: "t", objectId: "1"), AuditEntry(actor: "a", action: "x", objectType: "t", objectName: "1")),
        (AuditEntry(actor: "a", action: "x", objectType: "t", tenant: "-"), AuditEntry(actor: "a", action: "x", objectType: "t")),
        (AuditEntry(actor: "ab", action: "c", objectType: "t"), AuditEntry(actor: "a", action: "bc", objectType: "t")),
        (AuditEntry(actor: "a", action: "x", objectType: "t", details: ["ab": "c"]), AuditEntry(actor: "a", action: "x", objectType: "t", details: ["a": "bc"])),
        (AuditEntry(actor: "a", action: "x", objectType: "t", details: ["k": ""]), AuditEntry(actor: "a", action: "x", objectType: "t")),
    ])
    func noCollisions(a: AuditEntry, b: AuditEntry) {
        let sealedA = AuditChain.seal(a, sequence: 1, time: Fixture.t0, previousHash: AuditChain.genesisHash)
        let sealedB = AuditChain.seal(b, sequence: 1, time: Fixture.t0, previousHash: AuditChain.genesisHash)
        #expect(sealedA.hash != sealedB.hash)
    }

    // MARK: Verifying

    @Test("an intact chain of 5 verifies, with or without its head")
    func intactChain() {
        let events = Self.chain()
        #expect(AuditChain.verify(events) == Self.valid5)
        #expect(AuditChain.verify(events, head: Self.head(events)) == Self.valid5)
    }

    @Test("an empty log verifies, and matches an empty head")
    func emptyChain() {
        let valid0 = AuditVerification(valid: true, checked: 0, firstBrokenSequence: nil, reason: nil)
        #expect(AuditChain.verify([]) == valid0)
        #expect(AuditChain.verify([], head: (0, AuditChain.genesisHash)) == valid0)
    }

    /// Ways to edit a stored event in place (without re-hashing it).
    enum Tamper: String, CaseIterable, Sendable {
        case actor, action, objectType, objectId, objectName, tenant, detailsValue, detailsAdded, detailsRemoved
        case timePlusOneMillisecond, timeMinusOneSecond, previousHash, hash

        func apply(_ e: inout AuditEvent) {
            switch self {
            case .actor: e.actor = "mallory"
            case .action: e.action = "tap.nothing"
            case .objectType: e.objectType = "grant"
            case .objectId: e.objectId = e.objectId == nil ? "p-9" : nil
            case .objectName: e.objectName = e.objectName == nil ? "x" : nil
            case .tenant: e.tenant = e.tenant == nil ? "pay" : nil
            case .detailsValue: e.details["stopped_by"] = e.details["stopped_by"] == "admin" ? "user" : "admin"
            case .detailsAdded: e.details["note"] = "hi"
            case .detailsRemoved: e.details = e.details.isEmpty ? ["k": "v"] : [:]
            case .timePlusOneMillisecond: e.time = e.time.addingTimeInterval(0.001)
            case .timeMinusOneSecond: e.time = e.time.addingTimeInterval(-1)
            case .previousHash: e.previousHash = String(repeating: "f", count: 64)
            case .hash: e.hash = String(repeating: "e", count: 64)
            }
        }
    }

    @Test("editing any field of any event breaks the chain exactly there", arguments: AuditChainTests.Tamper.allCases, 1...5)
    func tamperedField(tamper: Tamper, sequence: Int) {
        var events = Self.chain()
        tamper.apply(&events[sequence - 1])
        let result = AuditChain.verify(events, head: Self.head(Self.chain()))
        #expect(!result.valid)
        #expect(result.firstBrokenSequence == Int64(sequence))
        #expect(result.checked == sequence - 1)
    }

    @Test("an edited event is reported as not matching its hash")
    func editedEventReason() {
        var events = Self.chain()
        events[2].actor = "mallory"
        #expect(AuditChain.verify(events) == AuditVerification(
            valid: false, checked: 2, firstBrokenSequence: 3, reason: "event 3 does not match its hash: it was edited"))
    }

    @Test("an edited previous hash is reported as a broken link")
    func brokenLinkReason() {
        var events = Self.chain()
        events[2].previousHash = AuditChain.genesisHash
        #expect(AuditChain.verify(events) == AuditVerification(
            valid: false, checked: 2, firstBrokenSequence: 3,
            reason: "event 3 does not link to event 2: it was edited, or one before it was"))
    }

    @Test("an event edited and re-hashed breaks the link of the next one")
    func rehashedEditBreaksNextLink() {
        var events = Self.chain()
        events[2].actor = "mallory"
        events[2].hash = AuditChain.hash(of: events[2])
        let result = AuditChain.verify(events)
        #expect(result.firstBrokenSequence == 4)
        #expect(result.checked == 3)
    }

    @Test("a last event edited and re-hashed is caught by the head")
    func rehashedLastEventCaughtByHead() {
        let original = Self.chain()
        var events = original
        events[4].actor = "mallory"
        events[4].hash = AuditChain.hash(of: events[4])
        #expect(AuditChain.verify(events) == Self.valid5)
        #expect(AuditChain.verify(events, head: Self.head(original)) == AuditVerification(
            valid: false, checked: 4, firstBrokenSequence: 5,
            reason: "event 5 is not the one recorded as the last: it was replaced"))
    }

    @Test("deleting a middle event is reported at the missing sequence")
    func deletedMiddleEvent() {
        var events = Self.chain()
        events.remove(at: 2)
        #expect(AuditChain.verify(events) == AuditVerification(
            valid: false, checked: 2, firstBrokenSequence: 3, reason: "event 3 is missing (next stored event is 4)"))
    }

    @Test("deleting the first event is reported at sequence 1")
    func deletedFirstEvent() {
        var events = Self.chain()
        events.removeFirst()
        #expect(AuditChain.verify(events) == AuditVerification(
            valid: false, checked: 0, firstBrokenSequence: 1, reason: "event 1 is missing (next stored event is 2)"))
    }

    @Test("deleting the last event is reported when the head is given")
    func deletedLastEventWithHead() {
        let original = Self.chain()
        let events = Array(original.dropLast())
        #expect(AuditChain.verify(events, head: Self.head(original)) == AuditVerification(
            valid: false, checked: 4, firstBrokenSequence: 5,
            reason: "the log ends at event 4 but 5 were recorded: events were deleted at the end"))
    }

    @Test("deleting the last events goes unnoticed without the head: that is what the head is for")
    func deletedLastEventWithoutHead() {
        let events = Array(Self.chain().dropLast(2))
        #expect(AuditChain.verify(events) == AuditVerification(valid: true, checked: 3, firstBrokenSequence: nil, reason: nil))
    }

    @Test("deleting every event is reported when the head is given")
    func deletedEverything() {
        let original = Self.chain()
        #expect(AuditChain.verify([], head: Self.head(original)).firstBrokenSequence == 1)
    }

    @Test("events beyond the recorded head are reported at the first one past it")
    func eventsBeyondHead() {
        let events = Self.chain()
        #expect(AuditChain.verify(events, head: (3, events[2].hash)) == AuditVerification(
            valid: false, checked: 3, firstBrokenSequence: 4,
            reason: "the log goes on past event 3, the last one recorded: events were appended"))
    }

    @Test("swapping two events is reported at the first one out of place")
    func reordered() {
        var events = Self.chain()
        events.swapAt(1, 2)
        #expect(AuditChain.verify(events) == AuditVerification(
            valid: false, checked: 1, firstBrokenSequence: 2, reason: "event 2 is missing (next stored event is 3)"))
    }

    @Test("renumbering events after a deletion is still caught, at the first renumbered one")
    func renumbered() {
        var events = Self.chain()
        events.remove(at: 2)
        events[2].sequence = 3
        events[3].sequence = 4
        let result = AuditChain.verify(events)
        #expect(result.firstBrokenSequence == 3)
        #expect(!result.valid)
    }

    @Test("the verification encodes with snake_case keys")
    func verificationJSON() throws {
        let broken = AuditVerification(valid: false, checked: 2, firstBrokenSequence: 3, reason: "event 3 does not match its hash: it was edited")
        let json = String(decoding: try TapsterJSON.encoder().encode(broken), as: UTF8.self)
        #expect(json == #"{"checked":2,"first_broken_sequence":3,"reason":"event 3 does not match its hash: it was edited","valid":false}"#)
        let valid = String(decoding: try TapsterJSON.encoder().encode(Self.valid5), as: UTF8.self)
        #expect(valid == #"{"checked":5,"valid":true}"#)
    }
}
