import Foundation
import Testing
import TapsterCore

/// The whole RBAC matrix, written out: role × resource kind × action × subject → decision.
///
/// Each cell is three letters for the three subjects, in this order:
/// the collection, an object visible to the principal, an object not visible to it.
/// `A` allow, `F` forbidden (403), `H` hidden (404). Changing the policy must change this table.
@Suite("Policy matrix")
struct PolicyMatrixTests {
    static let actions: [Action] = [.read, .create, .update, .delete, .stop, .reactivate]
    static let subjects: [Subject] = [.collection, .object(visible: true), .object(visible: false)]

    static let matrix: [(Role, ResourceKind, [String])] = [
        //                          read   create update delete stop   reactivate
        (.admin,   .tenant,        ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
        (.admin,   .user,          ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
        (.admin,   .token,         ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
        (.admin,   .target,        ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
        (.admin,   .filter,        ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
        (.admin,   .grant,         ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
        (.admin,   .tap,           ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
        (.admin,   .capture,       ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
        (.admin,   .workload,      ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
        (.admin,   .agent,         ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
        (.admin,   .audit,         ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
        (.admin,   .namespaceMapping, ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
        (.admin,   .recorder,      ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
        (.admin,   .flow,          ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
        (.admin,   .trigger,       ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),

        // Owners: read what is visible, open/stop/reactivate taps, manage their own tokens and
        // account; everything not visible to them is hidden (404), whatever the action.
        (.owner,   .tenant,        ["AAH", "FFH", "FFH", "FFH", "FFH", "FFH"]),
        (.owner,   .user,          ["AAH", "FFH", "FAH", "FFH", "FFH", "FFH"]),
        (.owner,   .token,         ["AAH", "AAH", "AAH", "AAH", "AAH", "AAH"]),
        (.owner,   .target,        ["AAH", "FFH", "FFH", "FFH", "FFH", "FFH"]),
        (.owner,   .filter,        ["AAH", "FFH", "FFH", "FFH", "FFH", "FFH"]),
        (.owner,   .grant,         ["AAH", "FFH", "FFH", "FFH", "FFH", "FFH"]),
        (.owner,   .tap,           ["AAH", "AAH", "AAH", "FFH", "AAH", "AAH"]),
        (.owner,   .capture,       ["AAH", "AAH", "FFH", "AAH", "AAH", "FFH"]),
        (.owner,   .workload,      ["AAH", "FFH", "FFH", "FFH", "FFH", "FFH"]),
        (.owner,   .agent,         ["FFH", "FFH", "FFH", "FFH", "FFH", "FFH"]),
        (.owner,   .audit,         ["AAH", "FFH", "FFH", "FFH", "FFH", "FFH"]),
        // Owners read the mappings of their own tenants (which namespaces' pods are theirs), change none.
        (.owner,   .namespaceMapping, ["AAH", "FFH", "FFH", "FFH", "FFH", "FFH"]),
        // Recorders are the network team's: they name every tenant's hosts and hold their packets. Owners use them
        // only through `capture --before`, which tells them no more than whether their workloads are recorded.
        (.owner,   .recorder,      ["FFH", "FFH", "FFH", "FFH", "FFH", "FFH"]),
        // Owners read the flows of their tenants' workloads (what of them, Policy.flowPeer decides); nobody writes flows.
        (.owner,   .flow,          ["AAH", "FFH", "FFH", "FFH", "FFH", "FFH"]),
        // Triggers are the network team's: owners see their triggered captures, never the triggers (or their secrets).
        (.owner,   .trigger,       ["FFH", "FFH", "FFH", "FFH", "FFH", "FFH"]),

        // Auditors: read everything (nothing is hidden from them), change nothing but their
        // own tokens and their own password (a visible token/user object is their own).
        (.auditor, .tenant,        ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF"]),
        (.auditor, .user,          ["AAA", "FFF", "FAF", "FFF", "FFF", "FFF"]),
        (.auditor, .token,         ["AAA", "AAF", "FAF", "FAF", "FAF", "FAF"]),
        (.auditor, .target,        ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF"]),
        (.auditor, .filter,        ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF"]),
        (.auditor, .grant,         ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF"]),
        (.auditor, .tap,           ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF"]),
        (.auditor, .capture,       ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF"]),
        (.auditor, .workload,      ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF"]),
        (.auditor, .agent,         ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF"]),
        (.auditor, .audit,         ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF"]),
        (.auditor, .namespaceMapping, ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF"]),
        (.auditor, .recorder,      ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF"]),
        (.auditor, .flow,          ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF"]),
        (.auditor, .trigger,       ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF"]),
    ]

    struct Cell: Sendable, CustomTestStringConvertible {
        var role: Role
        var kind: ResourceKind
        var action: Action
        var subject: Subject
        var expected: Character
        var testDescription: String { "\(role.rawValue) \(action.rawValue) \(kind.rawValue) \(subject) → \(expected)" }
    }

    static var cells: [Cell] {
        matrix.flatMap { role, kind, row in
            zip(actions, row).flatMap { action, letters in
                zip(subjects, letters).map { subject, letter in
                    Cell(role: role, kind: kind, action: action, subject: subject, expected: letter)
                }
            }
        }
    }

    static func principal(_ role: Role) -> Principal {
        switch role {
        case .admin: Fixture.admin
        case .owner: Fixture.owner(tenants: ["shop"])
        case .auditor: Fixture.auditor
        }
    }

    static func letter(_ decision: Decision) -> Character {
        switch decision {
        case .allow: "A"
        case .forbidden: "F"
        case .hidden: "H"
        }
    }

    @Test("the matrix covers every role × kind × action × subject exactly once")
    func matrixIsComplete() {
        #expect(Self.matrix.allSatisfy { $0.2.count == Action.allCases.count && $0.2.allSatisfy { $0.count == 3 } })
        #expect(Set(Self.actions.map(\.rawValue)) == Set(Action.allCases.map(\.rawValue)))
        let rows = Self.matrix.map { "\($0.0.rawValue)/\($0.1.rawValue)" }
        let all = Role.allCases.flatMap { r in ResourceKind.allCases.map { "\(r.rawValue)/\($0.rawValue)" } }
        #expect(rows.sorted() == all.sorted())
        #expect(Self.cells.count == Role.allCases.count * ResourceKind.allCases.count * 6 * 3)
    }

    @Test("each cell of the matrix is decided as written", arguments: PolicyMatrixTests.cells)
    func decides(cell: Cell) {
        let decision = Policy.decide(Self.principal(cell.role), cell.action, cell.kind, cell.subject)
        #expect(Self.letter(decision) == cell.expected)
    }

    // MARK: Reasons

    @Test("an owner creating an admin-defined object is told only admins can", arguments: [
        (ResourceKind.target, "only admins can create targets"), (.filter, "only admins can create filters"),
        (.grant, "only admins can create grants"), (.recorder, "only admins can create recorders"), (.tenant, "only admins can create tenants"), (.user, "only admins can create users"),
        (.workload, "only admins can create workloads"),
    ])
    func ownerCreateReason(kind: ResourceKind, reason: String) {
        #expect(Policy.decide(Fixture.owner(tenants: ["shop"]), .create, kind, .collection) == .forbidden(reason))
    }

    @Test("an owner deleting a visible target is told only admins can")
    func ownerDeleteReason() {
        #expect(Policy.decide(Fixture.owner(tenants: ["shop"]), .delete, .target, .object(visible: true)) == .forbidden("only admins can delete targets"))
    }

    @Test("an owner may not delete a tap: taps are history")
    func ownerDeleteTapReason() {
        #expect(Policy.decide(Fixture.owner(tenants: ["shop"]), .delete, .tap, .object(visible: true))
            == .forbidden("taps are kept as history; stop them instead"))
    }

    @Test("an owner may not see agents")
    func ownerAgentReason() {
        #expect(Policy.decide(Fixture.owner(tenants: ["shop"]), .read, .agent, .collection) == .forbidden("only admins and auditors see agents"))
    }

    @Test("an owner changes only their own account")
    func ownerUpdateUsersReason() {
        #expect(Policy.decide(Fixture.owner(tenants: ["shop"]), .update, .user, .collection) == .forbidden("owners change only their own account"))
    }

    @Test("an auditor changing anything is told access is read-only", arguments: [
        (Action.create, ResourceKind.target, Subject.collection), (.update, .tenant, .object(visible: true)),
        (.stop, .tap, .object(visible: true)), (.delete, .token, .object(visible: false)), (.create, .user, .collection),
    ])
    func auditorReason(action: Action, kind: ResourceKind, subject: Subject) {
        #expect(Policy.decide(Fixture.auditor, action, kind, subject) == .forbidden("auditors have read-only access"))
    }

    // MARK: require

    @Test("require passes when the decision is allow")
    func requireAllows() throws {
        try Policy.require(Fixture.owner(tenants: ["shop"]), .create, .tap, .collection)
        try Policy.require(Fixture.admin, .delete, .target, .object(visible: false), reference: "ids")
    }

    @Test("require throws forbidden with the decision's reason")
    func requireForbidden() {
        #expect(throws: TapsterError(.forbidden, "only admins can create targets")) {
            try Policy.require(Fixture.owner(tenants: ["shop"]), .create, .target, .collection)
        }
    }

    @Test("require throws not_found naming the kind and reference for hidden objects")
    func requireHidden() {
        #expect(throws: TapsterError(.notFound, "tap \"3f9b\" not found")) {
            try Policy.require(Fixture.owner(tenants: ["shop"]), .stop, .tap, .object(visible: false), reference: "3f9b")
        }
        #expect(throws: TapsterError(.notFound, "target \"ids\" not found")) {
            try Policy.require(Fixture.owner(tenants: ["shop"]), .read, .target, .object(visible: false), reference: "ids")
        }
    }
}

/// The approval column, beside the matrix (``Policy/decideApproval(_:requesterID:)``): who may approve or reject a
/// tap waiting for approval, by role and by whether they asked for it themselves.
@Suite("Policy matrix: four-eyes approval")
struct ApprovalPolicyMatrixTests {
    //                              someone else's request   their own request
    static let rows: [(Principal, Policy.ApprovalDecision, Policy.ApprovalDecision)] = [
        (Fixture.admin, .allow, .selfApproval),
        (Fixture.owner(tenants: ["shop"]), .forbidden("only admins approve or reject taps"), .forbidden("only admins approve or reject taps")),
        (Fixture.auditor, .forbidden("auditors have read-only access"), .forbidden("auditors have read-only access")),
        (Principal.system, .forbidden("only admins approve or reject taps"), .forbidden("only admins approve or reject taps")),
    ]

    @Test func everyRoleDecidesAsItsRowSays() {
        for (principal, others, own) in Self.rows {
            #expect(Policy.decideApproval(principal, requesterID: "id-someone-else") == others, "\(principal.name)")
            #expect(Policy.decideApproval(principal, requesterID: principal.userID) == own, "\(principal.name), own request")
        }
    }

    @Test func aSelfApprovalIsRefusedWithItsOwnCode() {
        let tap = Tap(tenant: nil, owner: "root", ownerID: Fixture.admin.userID, filter: "f", target: "t", state: .pending,
                      duration: Fixture.duration("10m"), createdAt: Date(timeIntervalSince1970: 0))
        #expect(throws: TapsterError(.selfApproval, "you requested tap \(tap.id) yourself; another admin must approve or reject it (four-eyes)")) {
            try Policy.requireApprover(Fixture.admin, of: tap)
        }
    }
}
