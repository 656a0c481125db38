/// Who may entitle whom to read a capture's packets — the one way payload reaches anyone but the
/// capture's owner and admins:
///
/// - only an **admin** entitles or revokes (an owner cannot share their packets, an auditor changes nothing);
/// - only a user who already **sees** the capture and is not otherwise entitled can be entitled: an
///   **auditor** (who reads every capture's metadata), or an **owner of the capture's tenant** — never an
///   owner of another tenant (who may not know the capture exists), an admin (who reads every capture
///   already), the capture's own owner, or a disabled user.
///
/// An entitlement that no longer fits these rules (the user is disabled or deleted, or changes role or
/// tenants so that they no longer qualify — an owner who becomes an auditor still does) is revoked; until it
/// is, ``isEntitledReader(_:of:)`` still requires that the user sees the capture.
///
/// Whom an admin entitled is shown (``maySeeReaders(_:of:)``) to admins, auditors and the capture's owner:
/// other owners of the tenant see the capture, but not the names and ids of users they cannot list.
extension Policy {
    /// Throws unless `principal` may entitle users to read the packets of the capture `reference`, or revoke
    /// them: 404 when it may not know the capture exists, 403 (`forbidden`) unless it is an admin.
    public static func requireReaderManagement(_ principal: Principal, _ object: Ownership?, reference: String) throws(TapsterError) {
        try requireOwned(principal, .read, .capture, object, reference: reference)
        guard principal.isAdmin else {
            throw TapsterError.forbidden("only an admin can entitle users to read the packets of capture \(reference)")
        }
    }

    /// Throws `invalid_argument` (field `user`) unless `user` may be entitled to read the packets of the
    /// capture `reference`, saying why not.
    public static func requireEntitleable(_ user: User, toRead object: Ownership, reference: String) throws(TapsterError) {
        if let why = whyNotEntitleable(user, toRead: object) {
            throw TapsterError.invalid("user", "\(user.name) cannot be entitled to read the packets of capture \(reference): \(why)")
        }
    }

    /// Whether `user` may be (or stay) entitled to read the packets of the object.
    public static func isEntitleable(_ user: User, toRead object: Ownership) -> Bool {
        whyNotEntitleable(user, toRead: object) == nil
    }

    private static func whyNotEntitleable(_ user: User, toRead object: Ownership) -> String? {
        if user.disabled { return "the user is disabled" }
        switch user.role {
        case .admin:
            return "admins read every capture's packets already"
        case .auditor:
            return nil
        case .owner:
            if owns(user.principal, object) { return "it is their own capture" }
            guard user.principal.belongs(to: object.tenant) else {
                return "only auditors and owners of the capture's tenant (\(object.tenant ?? "none")) can be entitled"
            }
            return nil
        }
    }

    /// Whether `principal` may see whom an admin entitled to read the object's packets.
    public static func maySeeReaders(_ principal: Principal, of object: Ownership) -> Bool {
        principal.isAdmin || principal.role == .auditor || owns(principal, object)
    }
}

extension Capture {
    /// The capture as `principal` may see it: without ``readers`` unless ``Policy/maySeeReaders(_:of:)``.
    public func withReadersVisible(to principal: Principal) -> Capture {
        guard !Policy.maySeeReaders(principal, of: ownership) else { return self }
        var capture = self
        capture.readers = nil
        return capture
    }
}
