import PacketKit
import TapsterCore

/// Validates traffic expressions with libpcap's own compiler, off the cooperative thread pool
/// (``BPFProgram/compileOffPool(_:linkType:snaplen:timeout:)``) and within ``timeout``.
///
/// Names are the caller's privilege: an expression from an owner (a capture's `--bpf`) may use only
/// numbers and keywords — no host, network, service, `/etc/ethers` or protocol names (``BPFNames``),
/// which libpcap would resolve through NSS (blocking, and a DNS oracle, on the server and on every
/// agent). Expressions an admin writes (filters, an admin's captures) may use names.
struct FilterCompiler: Sendable {
    /// How long one compile may take (a name look-up that hangs) before the expression is refused.
    static let timeout: Duration = .seconds(5)

    /// Compiles the filter's BPF as written, then the whole expression it stands for (BPF
    /// and rules); throws `invalid_bpf` with libpcap's own message when libpcap rejects either.
    func check(_ spec: FilterSpec, allowingNames: Bool) async throws(TapsterError) {
        if let bpf = spec.bpf {
            try await compile(bpf, field: "bpf", allowingNames: allowingNames)
        }
        if let expression = try spec.trafficExpression() {
            try await compile(expression, field: spec.rules?.isEmpty == false ? "rules" : "bpf", allowingNames: allowingNames)
        }
    }

    /// Compiles `expression` with libpcap; `invalid_bpf` naming `field` when it uses names and
    /// `allowingNames` is false (before libpcap sees it), or with libpcap's message when it fails.
    func compile(_ expression: String, field: String, allowingNames: Bool = false) async throws(TapsterError) {
        if !allowingNames {
            let names = BPFNames.find(in: expression)
            if !names.isEmpty {
                throw TapsterError(.invalidBPF, "\(field): \(names.map { "'\($0)'" }.joined(separator: ", ")) would be looked up as a name "
                                   + "(host, network, service or protocol); use numeric addresses, ports and protocols "
                                   + "(e.g. host 10.0.0.5, port 80, ip proto 6) — only admins' expressions may use names", field: field)
            }
        }
        do {
            _ = try await BPFProgram.compileOffPool(expression, timeout: Self.timeout)
        } catch {
            throw TapsterError(.invalidBPF, "\(field): \(error.message)", field: field)
        }
    }
}
