import Foundation
import Hummingbird
import TapsterCore

/// A failure with a Neutron error type of its own (`TapServiceNotBelongToTenant`, …), wrapping the
/// ``TapsterError`` it stands for (which gives the status and message, and is what native logging sees).
struct NeutronFault: Error, CustomStringConvertible {
    /// Neutron's exception class name, the `type` of the error body.
    let type: String
    let error: TapsterError

    var description: String { "\(type): \(error.message)" }

    /// 404 `<Resource>NotFound`, e.g. `TapServiceNotFound`.
    static func notFound(_ resource: NeutronResource, _ id: String) -> NeutronFault {
        NeutronFault(type: "\(resource.typeName)NotFound", error: TapsterError(.notFound, "\(resource.displayName) \(id) could not be found"))
    }

    /// 403: the port belongs to another tenant than the object being created.
    static func portNotInTenant(_ port: String) -> NeutronFault {
        NeutronFault(type: "PortDoesNotBelongToTenant",
                     error: TapsterError(.forbidden, "The specified port \(port) does not belong to the tenant"))
    }

    /// 403: a tap flow's tenant must be its tap service's.
    static func serviceNotInTenant(_ service: String) -> NeutronFault {
        NeutronFault(type: "TapServiceNotBelongToTenant",
                     error: TapsterError(.forbidden, "Specified Tap Service \(service) does not belong to the tenant"))
    }

    /// 409: another tap mirror already uses this tunnel id.
    static func tunnelConflict(_ tunnel: Int) -> NeutronFault {
        NeutronFault(type: "TapMirrorTunnelConflict", error: TapsterError(.alreadyExists, "Tap Mirror with tunnel_id \(tunnel) already exists"))
    }
}

/// The Neutron resources of the compatibility API, as error types and messages name them.
enum NeutronResource: String, Sendable {
    case port, tapService, tapFlow, tapMirror

    /// `TapService`, the stem of `TapServiceNotFound`.
    var typeName: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }

    /// `Tap Service`, as Neutron's messages spell it.
    var displayName: String {
        switch self {
        case .port: "Port"
        case .tapService: "Tap Service"
        case .tapFlow: "Tap Flow"
        case .tapMirror: "Tap Mirror"
        }
    }

    /// The resource whose member a `/v2.0/…` path addresses (`/v2.0/ports/{id}`,
    /// `/v2.0/taas/tap_flows/{id}`), for errors raised outside the Neutron routes.
    static func addressed(by path: String) -> NeutronResource? {
        let segments = path.split(separator: "/").map(String.init)
        guard segments.first == "v2.0", segments.count >= 3 else { return nil }
        if segments[1] == "ports" { return segments.count == 3 ? .port : nil }
        guard segments[1] == "taas", segments.count == 4 else { return nil }
        switch segments[2].replacingOccurrences(of: "-", with: "_") {
        case "tap_services": return .tapService
        case "tap_flows": return .tapFlow
        case "tap_mirrors": return .tapMirror
        default: return nil
        }
    }
}
