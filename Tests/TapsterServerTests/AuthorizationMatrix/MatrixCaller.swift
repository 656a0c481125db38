import TapsterCore

/// The kinds of caller the authorization matrix tries every route as.
enum MatrixCaller: String, CaseIterable, Sendable, Comparable {
    case anonymous
    /// `dora`: an owner of tenant A whom an admin disabled (after she had a token and a session).
    case disabled
    /// `otto`: an owner of tenant A whose password an admin reset: his credential is the session of a
    /// sign-in with the one-time password.
    case oneTimePassword = "one-time-password"
    /// `bob`: an owner of tenant B (`bank`).
    case otherTenantOwner = "owner-of-B"
    /// `carol`: an owner of tenant A (`shop`) without alice's grants.
    case ownerWithoutGrant = "owner-of-A-without-grant"
    /// `audrey`.
    case auditor
    /// `alice`: an owner of tenant A with grants; the owner of every tap and capture the rows act on.
    case owner = "owner-of-A"
    case admin

    /// The order the matrix calls them in: refusals first, so that a caller allowed to change or delete
    /// an object never takes it away from one who should have been refused it.
    static func < (a: MatrixCaller, b: MatrixCaller) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// The user name behind the caller (none for anonymous).
    var user: String? {
        switch self {
        case .anonymous: nil
        case .disabled: "dora"
        case .oneTimePassword: "otto"
        case .otherTenantOwner: "bob"
        case .ownerWithoutGrant: "carol"
        case .auditor: "audrey"
        case .owner: "alice"
        case .admin: "admin"
        }
    }
}

/// What a caller is expected to get from a route: a status per caller.
struct MatrixExpectation: Sendable {
    var statuses: [MatrixCaller: Int]

    /// An API route that needs no credential: everyone gets `status` — but a credential that is presented
    /// is checked all the same: a disabled user's token is refused (401), and a session that may only change
    /// its one-time password may do nothing else (403).
    static func `public`(_ status: Int) -> MatrixExpectation {
        var expectation = open(status)
        expectation.statuses[.disabled] = 401
        expectation.statuses[.oneTimePassword] = 403
        return expectation
    }

    /// A portal route that needs no session: everyone gets `status`.
    static func open(_ status: Int) -> MatrixExpectation {
        MatrixExpectation(statuses: Dictionary(uniqueKeysWithValues: MatrixCaller.allCases.map { ($0, status) }))
    }

    /// An API route: strangers and disabled users 401, a user who must change a one-time password 403,
    /// and the rest as given.
    static func api(owner: Int, withoutGrant: Int, otherTenant: Int, auditor: Int, admin: Int) -> MatrixExpectation {
        MatrixExpectation(statuses: [.anonymous: 401, .disabled: 401, .oneTimePassword: 403, .otherTenantOwner: otherTenant,
                                     .ownerWithoutGrant: withoutGrant, .auditor: auditor, .owner: owner, .admin: admin])
    }

    /// The same status for every signed-in caller allowed in (owners, auditor, admin).
    static func api(everyone status: Int) -> MatrixExpectation {
        api(owner: status, withoutGrant: status, otherTenant: status, auditor: status, admin: status)
    }

    /// A route for admins and auditors only (owners 403).
    static func console(auditor: Int, admin: Int) -> MatrixExpectation {
        api(owner: 403, withoutGrant: 403, otherTenant: 403, auditor: auditor, admin: admin)
    }

    /// A portal page or form: strangers and disabled users are sent to sign in (303), a user with a
    /// one-time password to the password form (303), and the rest as given.
    static func portal(owner: Int, withoutGrant: Int, otherTenant: Int, auditor: Int, admin: Int) -> MatrixExpectation {
        MatrixExpectation(statuses: [.anonymous: 303, .disabled: 303, .oneTimePassword: 303, .otherTenantOwner: otherTenant,
                                     .ownerWithoutGrant: withoutGrant, .auditor: auditor, .owner: owner, .admin: admin])
    }

    static func portal(everyone status: Int) -> MatrixExpectation {
        portal(owner: status, withoutGrant: status, otherTenant: status, auditor: status, admin: status)
    }
}
