import PacketKit
import TapsterCore

/// Validates a filter's traffic expression with libpcap's own compiler.
struct FilterCompiler: Sendable {
    /// Compiles the filter's BPF as written, then the whole expression it stands for (BPF
    /// and rules); throws `invalid_bpf` with libpcap's own message when libpcap rejects either.
    func check(_ spec: FilterSpec) throws(TapsterError) {
        if let bpf = spec.bpf {
            try compile(bpf, field: "bpf")
        }
        if let expression = try spec.trafficExpression() {
            try compile(expression, field: spec.rules?.isEmpty == false ? "rules" : "bpf")
        }
    }

    /// Compiles `expression` with libpcap; `invalid_bpf` naming `field`, with libpcap's message, when it fails.
    func compile(_ expression: String, field: String) throws(TapsterError) {
        do {
            _ = try BPFProgram.compile(expression)
        } catch {
            throw TapsterError(.invalidBPF, "\(field): \(error.message)", field: field)
        }
    }
}
