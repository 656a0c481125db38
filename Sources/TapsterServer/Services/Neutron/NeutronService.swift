import TapsterCore

/// The Neutron TaaS compatibility API: a facade over the catalog (targets, filters, ports) and the tap
/// service (admission, stops), translating Neutron's tap services, flows and mirrors into native objects
/// (``NeutronAnnotation`` says which) with the same audit.
public struct NeutronService: ContextualService {
    let context: ServiceContext
    let catalog: CatalogService
    let taps: TapService
    let filterCompiler: FilterCompiler
}
