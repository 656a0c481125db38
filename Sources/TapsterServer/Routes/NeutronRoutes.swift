import Hummingbird
import TapsterCore

/// The Neutron TaaS compatibility API (see `docs/neutron.md`): version discovery at `/` and
/// `/v2.0`, read-only `/v2.0/ports`, and `/v2.0/taas/tap_services`, `tap_flows`, `tap_mirrors`
/// (also spelled with `-`). Authentication: `X-Auth-Token: <Tapster API token>`, or a Keystone token with `--keystone-url`.
struct NeutronRoutes {
    let neutron: NeutronService
    /// The server's external URL, for the links of paged listings.
    let externalURL: ExternalURL?

    /// Registers the routes and the version-discovery middleware; call it before the portal
    /// registers `/`, so that the middleware sees requests for `/` first.
    func register(on router: Router<TapsterRequestContext>) {
        router.add(middleware: NeutronVersionDiscovery())
        let v2 = router.group("v2.0")
        v2.get("") { request, _ in try NeutronJSON.response(NeutronVersions(for: request)) }

        let base = externalURL
        v2.neutron(.get, "ports") { request, _, p in
            try await neutron.neutronPorts(p).neutronPage("ports", request: request, base: base)
        }
        v2.neutron(.get, "ports/{id}") { _, context, p in
            NeutronJSON.envelope("port", try await neutron.neutronPort(p, try context.parameter("id")))
        }

        let taas = v2.group("taas")
        taas.neutronResource(
            collection: "tap_services", member: "tap_service", base: base,
            list: { p in try await neutron.neutronTapServices(p) },
            show: { p, id in NeutronTapService(try await neutron.neutronTapServiceTarget(p, id)) },
            create: { p, body in try await neutron.createNeutronTapService(p, body) },
            update: { p, id, body in try await neutron.updateNeutronTapService(p, id, body) },
            delete: { p, id in try await neutron.deleteNeutronTapService(p, id) })
        taas.neutronResource(
            collection: "tap_flows", member: "tap_flow", base: base,
            list: { p in try await neutron.neutronTapFlows(p) },
            show: { p, id in try await neutron.neutronTapFlow(p, id) },
            create: { p, body in try await neutron.createNeutronTapFlow(p, body) },
            update: { p, id, body in try await neutron.updateNeutronTapFlow(p, id, body) },
            delete: { p, id in try await neutron.deleteNeutronTapFlow(p, id) })
        taas.neutronResource(
            collection: "tap_mirrors", member: "tap_mirror", base: base,
            list: { p in try await neutron.neutronTapMirrors(p) },
            show: { p, id in try await neutron.neutronMirrorParts(p, id).view },
            create: { p, body in try await neutron.createNeutronTapMirror(p, body) },
            update: { p, id, body in try await neutron.updateNeutronTapMirror(p, id, body) },
            delete: { p, id in try await neutron.deleteNeutronTapMirror(p, id) })
    }
}
