import Foundation
import Hummingbird
import TapsterCore

extension RouterGroup where Context == TapsterRequestContext {
    /// An authenticated Neutron endpoint: the handler gets the caller's principal and returns
    /// what is encoded in Neutron's dialect (``NeutronJSON``); errors get Neutron's shape from
    /// ``ErrorRendering``.
    @discardableResult
    func neutron<Output: Encodable & Sendable>(
        _ method: HTTPRequest.Method, _ path: RouterPath, status: HTTPResponse.Status = .ok,
        _ handler: @escaping @Sendable (Request, Context, Principal) async throws -> Output
    ) -> Self {
        on(path, method: method) { request, context in
            let principal = try context.requirePrincipal()
            return try NeutronJSON.response(try await handler(request, context, principal), status: status)
        }
    }

    /// The five operations of a Neutron resource, under both spellings of its collection
    /// (`tap_services` and `tap-services`): list (filtered by query fields) and create on the
    /// collection, paged as Neutron pages (``NeutronPaging``; `next` links on `base` when set); show,
    /// update (`name`, `description`) and delete (204) on `{id}`.
    func neutronResource<View: NeutronListable, Create: Decodable & Sendable>(
        collection: String, member: String, base: ExternalURL?,
        list: @escaping @Sendable (Principal) async throws -> [View],
        show: @escaping @Sendable (Principal, String) async throws -> View,
        create: @escaping @Sendable (Principal, Create) async throws -> View,
        update: @escaping @Sendable (Principal, String, NeutronUpdate) async throws -> View,
        delete: @escaping @Sendable (Principal, String) async throws -> Void
    ) {
        for spelling in Set([collection, collection.replacingOccurrences(of: "_", with: "-")]) {
            let item = RouterPath("\(spelling)/{id}")
            neutron(.get, RouterPath(spelling)) { request, _, p in
                try await list(p).neutronPage(collection, request: request, base: base)
            }
            neutron(.post, RouterPath(spelling), status: .created) { request, context, p in
                NeutronJSON.envelope(member, try await create(p, try await NeutronJSON.decode(Create.self, in: member, from: request, context: context)))
            }
            neutron(.get, item) { _, context, p in
                NeutronJSON.envelope(member, try await show(p, try context.parameter("id")))
            }
            neutron(.put, item) { request, context, p in
                let body = try await NeutronJSON.decode(NeutronUpdate.self, in: member, from: request, context: context)
                return NeutronJSON.envelope(member, try await update(p, try context.parameter("id"), body))
            }
            on(item, method: .delete) { _, context in
                try await delete(try context.requirePrincipal(), try context.parameter("id"))
                return Response(status: .noContent)
            }
        }
    }
}
