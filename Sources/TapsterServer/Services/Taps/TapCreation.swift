import Foundation
import TapsterAPI
import TapsterCore
import TapsterStore

/// Turns a tap request into a tap: the filter and target must be ones the catalog shows the principal;
/// a tap into the capture store becomes a stored capture (``CaptureService``), any other is admitted by
/// the ``TapService``.
public struct TapCreation: ContextualService {
    let context: ServiceContext
    let catalog: CatalogService
    let taps: TapService
    let captures: CaptureService

    /// Opens a tap: the filter and target must be visible, granted to the owner for the
    /// duration, and within the owner's quota. Answers at once; 0 matched workloads is a warning.
    public func createTap(_ p: Principal, _ request: TapRequest) async throws -> TapView {
        try Policy.require(p, .create, .tap, .collection)
        if let description = request.description { try Validation.text(description, field: "description", maximum: 1024) }
        if let tenant = request.tenant { try ResourceName.validate(tenant, field: "tenant") }
        let filter = try await catalog.visibleFilter(p, request.filter)
        let target = try await catalog.target(p, request.target)
        switch target.kind {
        case .store:
            // A tap into the capture store is a stored capture of everything the filter selects.
            let view = try await captures.createCapture(p, CaptureRequest(filter: filter.name, target: target.name, duration: request.duration,
                                                                 store: true, tenant: request.tenant, description: request.description))
            guard let tap = try await store.findTap(id: view.capture.id) else { throw TapsterError.notFound("tap", view.capture.id) }
            return TapView(tap: tap, warnings: view.warnings)
        case .stream:
            throw TapsterError.invalid("target", "\"\(target.name)\" is a stream target: its packets go to whoever reads the capture; "
                                       + "start one with tapster capture -F \(filter.name) --target \(target.name) (POST /api/v1/captures)")
        default:
            return try await taps.open(p, filter: filter, target: target, duration: request.duration, tenant: request.tenant,
                                  description: request.description, reactivating: nil)
        }
    }
}
