import Foundation
import Hummingbird
import TapsterCore

/// `/admin/targets`: where tapped traffic may go (ERSPAN, VXLAN, GRE, a port, a stream, a store).
struct TargetPages {
    let portal: Portal

    /// A target as the list shows it.
    struct TargetRow: Sendable {
        let name: String
        let kind: String
        let summary: String
        let bandwidthCap: String
        let tenant: String
        let description: String
    }

    /// What the `targets` template shows.
    struct Content: Sendable {
        let targets: [TargetRow]
        let create: FormView?
        /// Admins see the create form and delete buttons; auditors only read.
        let canEdit: Bool
        let actionError: String?
    }

    static let fields = ["name", "description", "tenant", "kind", "destination", "erspan_version", "session_id", "vni", "udp_port",
                         "gre_key", "port_id", "retention", "payload", "bandwidth_cap"]
    static let integers: Set<String> = ["erspan_version", "session_id", "vni", "udp_port", "gre_key"]

    var area: ConsoleArea {
        let portal = portal
        return ConsoleArea(
            path: "admin/targets", noun: "Target",
            render: { request, submitted, failure in
                let targets = try await portal.catalog.listTargets(request.principal).sorted { $0.name < $1.name }
                var form: FormView?
                if request.principal.isAdmin {
                    let tenants = try await portal.catalog.listTenants(request.principal).map(\.name).sorted()
                    form = Self.form(tenants: tenants, submitted: submitted, error: failure?.createError)
                }
                let rows = targets.map {
                    TargetRow(name: $0.name, kind: $0.kind.rawValue, summary: Self.details(of: $0.spec), bandwidthCap: $0.bandwidthCap?.description ?? "–",
                              tenant: $0.tenant ?? "shared", description: $0.description ?? "")
                }
                return portal.render("targets", title: "Targets", content: Content(targets: rows, create: form, canEdit: form != nil, actionError: failure?.deleteError),
                                     request: request.request, visitor: request.visitor, status: failure?.status ?? .ok)
            },
            create: { request, form in
                let spec = try form.decode(TargetSpec.self, fields: Self.fields, integers: Self.integers)
                return try await portal.catalog.createTarget(request.principal, spec).name
            },
            delete: { p, reference in try await portal.catalog.deleteTarget(p, reference) })
    }

    /// Everything but the name: `erspan II to 10.0.0.9, session 7; headers only (128 bytes)`.
    static func details(of spec: TargetSpec) -> String {
        var parts: [String] = []
        switch spec.kind {
        case .erspan: parts.append("ERSPAN type \(spec.erspanVersion == 3 ? "III" : "II") to \(spec.destination?.description ?? "?"), session \(spec.sessionId ?? 0)")
        case .vxlan: parts.append("VXLAN to \(spec.destination?.description ?? "?"):\(spec.udpPort ?? TargetSpec.defaultVXLANPort), VNI \(spec.vni ?? 0)")
        case .gre: parts.append("GRE to \(spec.destination?.description ?? "?")" + (spec.greKey.map { ", key \($0)" } ?? ""))
        case .port: parts.append("into port \(spec.portId ?? "?")")
        case .stream: parts.append("streamed to the requester")
        case .store: parts.append("stored for \(spec.retention?.description ?? TargetSpec.defaultRetention.description)")
        case .flows: parts.append("summarised into flow records; no packet leaves the host")
        }
        if spec.kind != .flows {
            parts.append(spec.effectivePayload == .full ? "full packets" : "headers only (\(spec.effectivePayload.snaplen) bytes)")
        }
        return parts.joined(separator: "; ")
    }

    static func form(tenants: [String], submitted: PortalForm?, error: TapsterError?) -> FormView {
        let kinds = TargetKind.allCases.map { FormOption(value: $0.rawValue, label: $0.rawValue) }
        var view = FormView(action: "/admin/targets", submit: "Create target", sections: [
            FormSection([
                FormField("name", "Name", hint: "Lower-case letters, digits, dashes, dots and underscores, e.g. wireshark-lab.", required: true),
                FormField("kind", "Kind", kind: .select, value: "erspan", options: kinds, required: true),
                FormField("destination", "Destination address", hint: "The tool's IP address (erspan, vxlan, gre)."),
                FormField("payload", "Payload", value: "full", hint: "full, or headers:<snaplen> (64–9216), e.g. headers:128."),
                FormField("bandwidth_cap", "Bandwidth cap (optional)", hint: "Per tap and host, e.g. 100Mbps."),
                FormField("tenant", "Tenant", kind: .select,
                          options: [FormOption(value: "", label: "Shared (granted to anyone)")] + tenants.map { FormOption(value: $0, label: $0) }),
                FormField("description", "Description (optional)"),
            ]),
            FormSection("ERSPAN", [
                FormField("erspan_version", "ERSPAN type", kind: .select, options: [
                    FormOption(value: "", label: "Default (II)"), FormOption(value: "2", label: "II"), FormOption(value: "3", label: "III"),
                ]),
                FormField("session_id", "Session id", kind: .number, hint: "1–1023."),
            ]),
            FormSection("VXLAN", [
                FormField("vni", "VNI", kind: .number, hint: "0–16777215."),
                FormField("udp_port", "UDP port", kind: .number, hint: "Default 4789."),
            ]),
            FormSection("GRE, port and store", [
                FormField("gre_key", "GRE key (optional)", kind: .number),
                FormField("port_id", "Port id", hint: "For a port target: the interface id of a known workload."),
                FormField("retention", "Retention", hint: "For a store target, e.g. 7d (the default)."),
            ]),
        ])
        if let submitted { view = view.filled(from: submitted) }
        if let error { view = view.failed(error) }
        return view
    }
}
