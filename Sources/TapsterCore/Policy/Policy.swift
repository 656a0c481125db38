/// The kinds of object the policy rules over.
public enum ResourceKind: String, Sendable, CaseIterable {
    case tenant, user, token, target, filter, grant, tap, capture, workload, agent, audit
    /// Flow records and the HTTP exchanges read from them (``FlowRecord``).
    case flow
    /// A rule giving Kubernetes namespaces to a tenant (read by owners of that tenant, made by admins).
    case namespaceMapping = "namespace-mapping"
    /// A per-host flight recorder (admins make, read and delete them; auditors read them; owners neither).
    case recorder
    /// A detection engine's webhook that opens captures (admins make, read and delete them; auditors read them).
    case trigger
}

/// What a principal wants to do.
public enum Action: String, Sendable, CaseIterable {
    case read, create, update, delete, stop, reactivate
}

/// What the policy knows of the object acted on.
public enum Subject: Sendable, Equatable {
    /// The collection itself: listing it, or creating in it.
    case collection
    /// One object. `visible` says whether the principal may know it exists — its tenant is
    /// theirs, it is granted to them, or it is themselves; the caller works that out from data.
    case object(visible: Bool)
}

/// The outcome of a policy decision.
public enum Decision: Sendable, Equatable {
    case allow
    /// 403: the principal may know the object but not do this.
    case forbidden(String)
    /// 404: the principal may not even know the object exists.
    case hidden
}

/// Role-based access rules. Pure: every fact about the data comes in as ``Subject``.
///
/// - admins may do everything;
/// - auditors may read everything and change nothing (but their own API tokens);
/// - owners read what is visible to them, create and stop taps, run, stop and delete captures, manage their own tokens
///   and password, and may not create targets, filters, grants, tenants, users or namespace mappings (they read the
///   mappings of their own tenants).
public enum Policy {
    public static func decide(_ principal: Principal, _ action: Action, _ kind: ResourceKind, _ subject: Subject) -> Decision {
        if case .object(visible: false) = subject, principal.role == .owner { return .hidden }
        switch principal.role {
        case .admin:
            return .allow
        case .auditor:
            if action == .read { return .allow }
            // Their own tokens and password: the object must be theirs (`visible`).
            if kind == .token || (kind == .user && action == .update), case .object(visible: true) = subject { return .allow }
            if kind == .token, action == .create, subject == .collection { return .allow }
            return .forbidden("auditors have read-only access")
        case .owner:
            return owner(action, kind, subject)
        }
    }

    private static func owner(_ action: Action, _ kind: ResourceKind, _ subject: Subject) -> Decision {
        switch (kind, action) {
        case (.tap, .read), (.tap, .create), (.tap, .stop), (.tap, .reactivate), (.tap, .update):
            return .allow
        case (.capture, .read), (.capture, .create), (.capture, .stop), (.capture, .delete):
            return .allow
        case (.token, _):
            return .allow
        case (.user, .read), (.user, .update):
            if case .collection = subject, action == .update { return .forbidden("owners change only their own account") }
            return .allow
        case (.tenant, .read), (.target, .read), (.filter, .read), (.grant, .read), (.workload, .read), (.audit, .read), (.namespaceMapping, .read),
             (.flow, .read):
            return .allow
        case (.agent, _):
            return .forbidden("only admins and auditors see agents")
        case (.tap, .delete):
            return .forbidden("taps are kept as history; stop them instead")
        default:
            return .forbidden("only admins can \(action.rawValue) \(kind.rawValue)s")
        }
    }

    /// Throws the error a decision stands for: 403 `forbidden`, or 404 `not_found` naming `reference`.
    public static func require(_ principal: Principal, _ action: Action, _ kind: ResourceKind, _ subject: Subject,
                               reference: String = "") throws(TapsterError) {
        switch decide(principal, action, kind, subject) {
        case .allow: return
        case .forbidden(let why): throw TapsterError(.forbidden, why)
        case .hidden: throw TapsterError.notFound(kind.rawValue, reference)
        }
    }
}
