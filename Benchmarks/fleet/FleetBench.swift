import Foundation

/// `fleet-bench`: N simulated agents against a real `tapster serve`, for each N asked (see
/// Benchmarks/README.md, "fleet"; run by `Benchmarks/fleet/run.sh`).
@main
struct FleetBench {
    static let usage = """
        usage: fleet-bench --tapster PATH [--agents 100,1000,5000] [--workloads 20] [--taps 5] [--status-interval SECONDS]
                           [--seconds-per-agent S] [--live-tap] [-- TAPSTER SERVE ARGUMENTS...]
        """

    static func main() async {
        var binary: String?
        var counts = [100, 1_000, 5_000]
        var workloads = 20, taps = 5
        var statusInterval = 1.0, secondsPerAgent = 0.5
        var serveArguments: [String] = []
        var liveTap = false
        var arguments = CommandLine.arguments.dropFirst()

        func value(_ flag: String) -> String {
            guard let value = arguments.popFirst() else { fail("\(flag) needs a value\n\(usage)") }
            return value
        }
        func positive<T: Comparable & LosslessStringConvertible & Numeric>(_ flag: String, _ type: T.Type) -> T {
            let text = value(flag)
            guard let number = T(text), number > 0 else { fail("\(flag) takes a number above 0, not \(text)") }
            return number
        }

        while let argument = arguments.popFirst() {
            switch argument {
            case "--tapster": binary = value(argument)
            case "--agents":
                let text = value(argument)
                counts = text.split(separator: ",").compactMap { Int($0) }
                if counts.isEmpty || counts.contains(where: { $0 < 1 }) { fail("--agents takes counts such as 100,1000, not \(text)") }
            case "--workloads": workloads = positive(argument, Int.self)
            case "--taps": taps = positive(argument, Int.self)
            case "--status-interval": statusInterval = positive(argument, Double.self)
            case "--seconds-per-agent": secondsPerAgent = positive(argument, Double.self)
            case "--live-tap": liveTap = true
            case "--":
                serveArguments = Array(arguments)
                arguments = []
            case "-h", "--help":
                say(usage)
                return
            default: fail("unknown argument \(argument)\n\(usage)")
            }
        }
        guard let binary else { fail("--tapster PATH is required\n\(usage)") }

        var failed = false
        do {
            let decoding = try StoredWorkloadDecoding.measure(count: 20_000)
            say(String(format: "stored workload decoded in %.1f µs (TapsterJSON) against %.1f µs (Foundation's snake_case and ISO 8601 strategies): "
                        + "%.2fx as fast (20,000 workloads, best of 5 passes)", decoding.tapster, decoding.foundation,
                        decoding.foundation / decoding.tapster))
            for shape in WorkloadMemory.Shape.allCases {
                let memory = try WorkloadMemory.measure(shape, count: 20_000)
                say("workload kept by the planning model, \(shape.rawValue): " + String(format: "%.0f bytes as decoded, %.0f interned (%.2f of it; "
                        + "live heap over 20,000 workloads; decoded in %.1f µs, decoded and interned in %.1f µs)", memory.decoded, memory.interned,
                        memory.interned / memory.decoded, memory.decodingMicroseconds, memory.internedMicroseconds))
            }
        } catch {
            say("  FAILED         \(error)")
            failed = true
        }
        for count in counts {
            let run = FleetRun(binary: binary, agents: count, workloads: workloads, taps: taps, statusInterval: .seconds(statusInterval),
                               serveArguments: serveArguments, secondsPerAgent: secondsPerAgent, liveTap: liveTap)
            do {
                try await run.run()
            } catch {
                say("  FAILED         \(error)")
                failed = true
            }
        }
        if failed { exit(1) }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("fleet-bench: \(message)\n".utf8))
        exit(2)
    }
}

/// Writes `line` to standard output at once (unbuffered, also into a file or a pipe: a long run shows its
/// progress, and what was measured survives an interrupted run).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
