import Foundation
import PacketKit

// packetkit-bench generate DIR [INPUTS] [PACKETS]   write the merge inputs
// packetkit-bench merge DIR [RUNS]                  PcapngMerger and the live merger vs `mergecap -w` on DIR/input-*.pcapng
// packetkit-bench packet [ITERATIONS]               encapsulation, writer and live-merger cost per packet
let arguments = CommandLine.arguments
func argument(_ index: Int, _ fallback: Int) -> Int { arguments.count > index ? Int(arguments[index]) ?? fallback : fallback }

do {
    switch arguments.count > 1 ? arguments[1] : "" {
    case "generate":
        let directory = arguments[2]
        let paths = try Inputs.generate(directory: directory, inputs: argument(3, 4), packets: argument(4, 250_000))
        print("generated \(paths.count) inputs in \(directory)")
    case "merge":
        let directory = arguments[2]
        let paths = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasPrefix("input-") && $0.hasSuffix(".pcapng") }.sorted().map { "\(directory)/\($0)" }
        try MergeBenchmark.run(directory: directory, paths: paths, runs: argument(3, 5))
    case "packet":
        try PacketPathBenchmark.run(iterations: argument(2, 2_000_000))
    default:
        print("usage: packetkit-bench generate DIR [INPUTS] [PACKETS] | merge DIR [RUNS] | packet [ITERATIONS]")
        exit(2)
    }
} catch {
    print("packetkit-bench: \(error)")
    exit(1)
}
