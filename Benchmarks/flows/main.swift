// flow-bench: the agent's flow summarisation offline, against `tshark -q -z conv,tcp` on the same file.
//
//   flow-bench generate FILE [CONNECTIONS] [SEED] [SECONDS]   write the input (default 20000 connections, seed
//                                                              20261205, start times over 20 s)
//   flow-bench run FILE [RUNS]                                 FlowSink on FILE RUNS times (default 5), then
//                                                              tshark RUNS times; packets/s, records/s, ratio
//
// Run it through ./run.sh, which builds it in release, generates the file in a temporary folder and removes it.
// The sink is the agent's own (TapsterAgent's FlowSink and FlowExport, linked through TapsterAllocationCounting as
// the allocation benchmark links them: that product's malloc counts each allocation with a thread-local increment).
import Foundation

let arguments = CommandLine.arguments
func argument(_ index: Int) -> String? { arguments.count > index ? arguments[index] : nil }

do {
    switch argument(1) ?? "" {
    case "generate":
        guard let path = argument(2) else { throw BenchError("generate needs FILE") }
        let traffic = Traffic(connections: Int(argument(3) ?? "") ?? 20_000, seed: UInt64(argument(4) ?? "") ?? 20_261_205,
                              seconds: Int(argument(5) ?? "") ?? 20)
        let started = Date()
        let summary = try traffic.write(to: path)
        say("generated \(path): \(traffic.connections) TCP connections (\(summary.httpConnections) HTTP/1.1, "
              + "\(summary.resets) reset), \(summary.packets) packets, \(summary.bytes) bytes of frames over "
              + "\(traffic.seconds) s of capture time; seed \(traffic.seed) (\(String(format: "%.1f", -started.timeIntervalSinceNow)) s)")
    case "run":
        guard let path = argument(2) else { throw BenchError("run needs FILE") }
        try FlowBenchmark.run(path: path, runs: Int(argument(3) ?? "") ?? 5)
    default:
        say("usage: flow-bench generate FILE [CONNECTIONS] [SEED] [SECONDS] | run FILE [RUNS]")
        exit(2)
    }
} catch {
    say("flow-bench: \(error)")
    exit(1)
}
