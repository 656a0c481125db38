/// What the policy knows of an object someone owns — a tap or a capture: its tenant, and the user id
/// of its owner. Ownership is by id: a new user who takes an old name inherits nothing.
public struct Ownership: Sendable, Equatable {
    public var tenant: String?
    /// `nil` when the owner no longer exists: then only admins act on the object.
    public var ownerID: String?
    /// The user ids an admin entitled to read a capture's packets (``Policy/mayReadPackets(_:of:)``).
    public var readerIDs: Set<String>

    public init(tenant: String?, ownerID: String?, readerIDs: Set<String> = []) {
        self.tenant = tenant
        self.ownerID = ownerID
        self.readerIDs = readerIDs
    }
}

extension Tap {
    public var ownership: Ownership { Ownership(tenant: tenant, ownerID: ownerID) }
}

extension Capture {
    public var ownership: Ownership { Ownership(tenant: tenant, ownerID: ownerID, readerIDs: Set((readers ?? []).map(\.userId))) }
}

/// The rules over owned objects, in one place (the store's listings use the same rule in SQL):
///
/// - **seeing** a tap or capture (its metadata and counters): admins and auditors all; an owner those of
///   their tenants and their own;
/// - **stopping** one: whoever sees it and may stop at all (a teammate may end a tap left running:
///   stopping only ever takes traffic away);
/// - **acting** on one otherwise (reactivate, delete): its owner and admins; another owner of the same
///   tenant sees it but is refused (403);
/// - **reading its packets** (a live stream, a download link): its owner, admins, and whom an admin
///   entitled (``requireEntitleable(_:toRead:reference:)``) while they still see it — not otherwise another
///   owner of the tenant, nor an auditor, who reads metadata, not payload.
extension Policy {
    /// Whether `principal` is the owner, by user id.
    public static func owns(_ principal: Principal, _ object: Ownership) -> Bool {
        guard let owner = object.ownerID, !principal.userID.isEmpty else { return false }
        return owner == principal.userID
    }

    /// Whether `principal` may know the object exists.
    public static func isVisible(_ object: Ownership, to principal: Principal) -> Bool {
        principal.role != .owner || principal.belongs(to: object.tenant) || owns(principal, object)
    }

    /// Throws unless `principal` may do `action` on the owned object (`nil`: there is no such object):
    /// 404 when it may not know it exists, 403 when it may see it but not act on it.
    public static func requireOwned(_ principal: Principal, _ action: Action, _ kind: ResourceKind, _ object: Ownership?,
                                    reference: String) throws(TapsterError) {
        let visible = object.map { isVisible($0, to: principal) } ?? false
        try require(principal, action, kind, .object(visible: visible), reference: reference)
        guard let object else { throw TapsterError.notFound(kind.rawValue, reference) }
        if action != .read, action != .stop, principal.role == .owner, !owns(principal, object) {
            throw TapsterError(.forbidden, "only the owner of \(kind.rawValue) \(reference) or an admin can \(action.verb) it")
        }
    }

    /// Whether `principal` may read the packets of a capture: its owner, admins, and a user an admin
    /// entitled, by user id, as long as they may still see the capture (an owner who left its tenant reads nothing).
    public static func mayReadPackets(_ principal: Principal, of object: Ownership) -> Bool {
        principal.isAdmin || owns(principal, object) || isEntitledReader(principal, of: object)
    }

    /// Whether an admin entitled `principal` to read the packets of the object, and it still sees it.
    public static func isEntitledReader(_ principal: Principal, of object: Ownership) -> Bool {
        !principal.userID.isEmpty && object.readerIDs.contains(principal.userID) && isVisible(object, to: principal)
    }

    /// Throws unless `principal` may read the packets of the capture `reference`: 404 when it may not
    /// know the capture exists, 403 (`forbidden`) when it may see it but not its packets.
    public static func requirePacketAccess(_ principal: Principal, _ object: Ownership?, reference: String) throws(TapsterError) {
        try requireOwned(principal, .read, .capture, object, reference: reference)
        guard let object, mayReadPackets(principal, of: object) else {
            throw TapsterError(.forbidden, "only the owner of capture \(reference), an admin, or a user an admin entitled can read its packets")
        }
    }
}

extension Action {
    /// The verb in messages ("stop", "delete").
    var verb: String { rawValue }
}
