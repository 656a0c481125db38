/// Picks the filter and target a capture runs through: the grant whose target is `stream` (or `store`),
/// narrowed by the filter (`-F`) and target the request names.
///
/// Pure: the caller gathers the grants and the kinds of the targets they name. Whether the chosen pair
/// admits the owner for the duration is ``TapAdmission``'s decision, made afterwards.
public enum CaptureGrantChoice {
    /// A filter and target to capture through.
    public struct Choice: Sendable, Hashable {
        public var filter: String
        public var target: String

        public init(filter: String, target: String) {
            self.filter = filter
            self.target = target
        }
    }

    /// - Parameters:
    ///   - grants: every grant (those not addressed to `principal` are ignored, except for admins).
    ///   - targetKinds: the kind of each target, by name.
    /// - Throws: `not_granted` when no grant fits; `ambiguous_grant` listing the pairs when several do.
    public static func choose(_ principal: Principal, filter: String?, target: String?, mode: CaptureMode,
                              grants: [Grant], targetKinds: [String: TargetKind]) throws(TapsterError) -> Choice {
        if principal.role == .auditor { throw TapsterError(.forbidden, "auditors have read-only access") }
        if principal.isAdmin, let filter, let target { return Choice(filter: filter, target: target) }
        let kind = mode.targetKind
        let pairs = Set(grants.filter { grant in
            (principal.isAdmin || grant.spec.addresses(principal)) && targetKinds[grant.target] == kind
                && (filter == nil || grant.filter == filter) && (target == nil || grant.target == target)
        }.map { Choice(filter: $0.filter, target: $0.target) })
        let sorted = pairs.sorted { ($0.filter, $0.target) < ($1.filter, $1.target) }
        guard let first = sorted.first else {
            var what = "you have no grant to capture with a \(kind.rawValue) target"
            if let filter { what += " through filter \"\(filter)\"" }
            if let target { what += " to target \"\(target)\"" }
            throw TapsterError(.notGranted, what + "; ask an admin for one")
        }
        guard sorted.count == 1 else {
            let list = sorted.map { "filter \"\($0.filter)\" with target \"\($0.target)\"" }.joined(separator: ", ")
            let hint = filter == nil ? "choose one with -F FILTER" : "choose one with --target TARGET"
            throw TapsterError(.ambiguousGrant, "several grants allow this capture: \(list); \(hint)")
        }
        return first
    }
}
