import Foundation
import Logging
import TapsterCore
import TapsterStore

/// What every service shares, and nothing more: the store, the clock, the change feed and the logger.
/// A service holds this plus only the services and parts it needs (see ``ControlPlane``).
public struct ServiceContext: Sendable {
    public let store: any Store
    let clock: @Sendable () -> Date
    /// Every committed change to taps, filters, targets, workloads and agents, for whoever acts on them.
    public let changes: ChangeFeed
    let logger: Logger
}

extension ServiceContext: ContextualService {
    var context: ServiceContext { self }
}

/// A service built on a ``ServiceContext``: its operations reach the shared parts by their short names
/// (`store`, `now`, `audit(…)`, `transaction(publishing:_:)`), the same in every service.
protocol ContextualService: Sendable {
    var context: ServiceContext { get }
}

extension ContextualService {
    var store: any Store { context.store }
    var changes: ChangeFeed { context.changes }
    var logger: Logger { context.logger }
    var now: Date { context.clock() }

    /// Runs `body` in one store transaction and, once it has committed, publishes on ``ServiceContext/changes`` what
    /// `changed` says its result changed. Nothing is published when `body` throws: the transaction
    /// rolled back, nothing changed.
    func transaction<T: Sendable>(publishing changed: (T) -> [Change],
                                  _ body: @Sendable (any StoreSession) async throws -> T) async throws -> T {
        let result = try await store.transaction(body)
        changes.publish(changed(result))
        return result
    }

    /// Appends an audit event in `session`, with how the principal authenticated and who they are at their
    /// identity provider (``Principal/auditDetails``; the event's own details win a clash).
    func audit(_ session: any StoreSession, _ principal: Principal, _ action: String, _ type: ResourceKind,
               id: String?, name: String?, tenant: String?, details: [String: String] = [:]) async throws {
        _ = try await session.appendAudit(
            AuditEntry(actor: principal.name, action: action, objectType: type.rawValue, objectId: id,
                       objectName: name, tenant: tenant, details: details.merging(principal.auditDetails) { own, _ in own }),
            at: now)
    }

    /// Finds a record by id or name, or throws 404.
    func existing<Spec>(_ reference: String, in collection: RecordCollection<Spec>, kind: ResourceKind,
                        session: (any StoreSession)? = nil) async throws -> Record<Spec> {
        guard let record = try await (session ?? store).find(reference, in: collection) else {
            throw TapsterError.notFound(kind.rawValue, reference)
        }
        return record
    }

    /// Checks that every named tenant exists.
    func requireTenantsExist(_ names: some Sequence<String>, field: String, session: any StoreSession) async throws {
        for name in names where try await session.find(name, in: .tenants) == nil {
            throw TapsterError.invalid(field, "tenant \"\(name)\" does not exist")
        }
    }
}
