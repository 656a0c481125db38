import Hummingbird
import TapsterCore

/// The Neutron TaaS compatibility API (see `docs/neutron.md`): version discovery at `/` and
/// `/v2.0`, read-only `/v2.0/ports`, and `/v2.0/taas/tap_services`, `tap_flows`, `tap_mirrors`
/// (also spelled with `-`). Authentication: `X-Auth-Token: <Tapster API token>`.
struct NeutronRoutes {
    let controlPlane: ControlPlane

    /// Registers the routes and the version-discovery middleware; call it before the portal
    /// registers `/`, so that the middleware sees requests for `/` first.
    func register(on router: Router<TapsterRequestContext>) {
        let cp = controlPlane
        router.add(middleware: NeutronVersionDiscovery())
        let v2 = router.group("v2.0")
        v2.get("") { request, _ in try NeutronJSON.response(NeutronVersions(for: request)) }

        let base = cp.captures.settings.externalURL
        v2.neutron(.get, "ports") { request, _, p in
            try await cp.neutronPorts(p).neutronPage("ports", request: request, base: base)
        }
        v2.neutron(.get, "ports/{id}") { _, context, p in
            NeutronJSON.envelope("port", try await cp.neutronPort(p, try context.parameter("id")))
        }

        let taas = v2.group("taas")
        taas.neutronResource(
            collection: "tap_services", member: "tap_service", base: base,
            list: { p in try await cp.neutronTapServices(p) },
            show: { p, id in NeutronTapService(try await cp.neutronTapServiceTarget(p, id)) },
            create: { p, body in try await cp.createNeutronTapService(p, body) },
            update: { p, id, body in try await cp.updateNeutronTapService(p, id, body) },
            delete: { p, id in try await cp.deleteNeutronTapService(p, id) })
        taas.neutronResource(
            collection: "tap_flows", member: "tap_flow", base: base,
            list: { p in try await cp.neutronTapFlows(p) },
            show: { p, id in try await cp.neutronTapFlow(p, id) },
            create: { p, body in try await cp.createNeutronTapFlow(p, body) },
            update: { p, id, body in try await cp.updateNeutronTapFlow(p, id, body) },
            delete: { p, id in try await cp.deleteNeutronTapFlow(p, id) })
        taas.neutronResource(
            collection: "tap_mirrors", member: "tap_mirror", base: base,
            list: { p in try await cp.neutronTapMirrors(p) },
            show: { p, id in try await cp.neutronMirrorParts(p, id).view },
            create: { p, body in try await cp.createNeutronTapMirror(p, body) },
            update: { p, id, body in try await cp.updateNeutronTapMirror(p, id, body) },
            delete: { p, id in try await cp.deleteNeutronTapMirror(p, id) })
    }
}
