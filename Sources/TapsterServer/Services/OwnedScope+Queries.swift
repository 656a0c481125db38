import TapsterCore
import TapsterStore

/// The store's listings of owned objects, scoped by Core's one decision (``Policy/ownedScope(of:)``).
extension TapQuery {
    init(_ scope: OwnedScope, states: Set<TapState>?) {
        self.init(tenants: scope.tenants, ownerID: scope.ownerID, states: states)
    }
}

extension CaptureQuery {
    init(_ scope: OwnedScope, states: Set<Capture.State>?) {
        self.init(tenants: scope.tenants, ownerID: scope.ownerID, states: states)
    }
}
