import TapsterCore

/// Captures: tcpdump across every instance of an app. A capture runs as a tap (admitted by the tap
/// service) on a filter and target the catalog shows the principal; this service keeps its record,
/// readers, stored-bytes quota and download links, cuts streams whose reader lost the right, and records
/// what the capture broker (`Captures/CaptureBroker.swift`) reports.
public struct CaptureService: ContextualService {
    let context: ServiceContext
    let catalog: CatalogService
    let taps: TapService
    /// Merges agents' packets into captures and hands them out.
    let broker: CaptureBroker
    let filterCompiler: FilterCompiler
    /// Audits refused downloads, rate-limited.
    let refusals: RefusalAuditor
}
