import PacketKit
import TapsterCore

/// Validates a filter's traffic expression with libpcap's own compiler.
struct FilterCompiler: Sendable {
    /// Compiles the expression a filter spec stands for (its BPF and rules); throws
    /// `invalid_bpf` with libpcap's message when libpcap rejects it.
    func check(_ spec: FilterSpec) throws(TapsterError) {
        guard let expression = try spec.trafficExpression() else { return }
        do {
            _ = try BPFProgram.compile(expression)
        } catch {
            let field = spec.bpf != nil ? "bpf" : "rules"
            throw TapsterError(.invalidBPF, "\(field): libpcap cannot compile \"\(expression)\": \(error.message)", field: field)
        }
    }
}
