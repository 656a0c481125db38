import Foundation
import Hummingbird
import TapsterCore

/// What went wrong on a console page: creating (shown at the form's field) or deleting (shown above the list).
enum ConsoleFailure: Sendable {
    case create(TapsterError)
    case delete(TapsterError)

    var status: HTTPResponse.Status {
        switch self {
        case .create(let error), .delete(let error): error.httpStatus
        }
    }

    var createError: TapsterError? {
        if case .create(let error) = self { return error }
        return nil
    }

    var deleteError: String? {
        if case .delete(let error) = self { return error.message }
        return nil
    }
}

/// A console area that lists objects with a create form and delete buttons (targets, filters,
/// grants, tenants, users): admins and auditors read it, admins change it.
struct ConsoleArea: Sendable {
    typealias Render = @Sendable (PortalRequest, _ submitted: PortalForm?, _ failure: ConsoleFailure?) async throws -> Response

    /// `admin/targets`.
    let path: String
    /// `Target`, for notices.
    let noun: String
    let render: Render
    /// Creates from the submitted form; returns the new object's name. `nil` when the area posts its own form.
    let create: (@Sendable (PortalRequest, PortalForm) async throws -> String)?
    let delete: @Sendable (Principal, String) async throws -> Void
}

extension PortalRoutes {
    /// `GET path`, `POST path` (create) and `POST path/{ref}/delete`. After a change the browser is
    /// sent back to the list with a notice; after a failure the page is shown again with the form
    /// as typed and the API's message at the field it names.
    func register(_ area: ConsoleArea) {
        let portal = portal
        page(RouterPath(area.path), roles: Self.console) { request in try await area.render(request, nil, nil) }
        if let create = area.create {
            action(RouterPath(area.path), roles: [.admin]) { request, form in
                do {
                    let name = try await create(request, form)
                    return portal.redirect(to: "/" + area.path, notice: "\(area.noun) \(name) created.", request: request.request)
                } catch let error as TapsterError {
                    return try await area.render(request, form, .create(error))
                }
            }
        }
        action(RouterPath(area.path + "/{ref}/delete"), roles: [.admin]) { request, _ in
            let reference = try request.parameter("ref")
            do {
                try await area.delete(request.principal, reference)
                return portal.redirect(to: "/" + area.path, notice: "\(area.noun) \(reference) deleted.", request: request.request)
            } catch let error as TapsterError where error.code != .notFound {
                return try await area.render(request, nil, .delete(error))
            }
        }
    }
}
