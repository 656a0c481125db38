// allocation-bench [N] [REPEATS]: counts the heap allocations of each data-plane hot path over N and over
// 10×N packets (after a warm-up run; the fewest of REPEATS runs each, default 3) and exits 1 when a path's
// count grows with N (more than N/1000 extra) or a path lost packets, 2 when allocations are not counted.
// Run it through ./run.sh, which builds it in release first. See TapsterAllocationCounting for the paths.
import Foundation
import TapsterAllocationCounting

let arguments = CommandLine.arguments
let packets = arguments.count > 1 ? Int(arguments[1]) ?? 100_000 : 100_000
let repeats = arguments.count > 2 ? Int(arguments[2]) ?? 3 : 3

guard AllocationCounter.isCounting else {
    print("allocation-bench: allocations are not counted (malloc is not interposed in this executable)")
    exit(2)
}

/// The paths, each made when its turn comes: a GRE-based tunnel without root is reported and skipped. (A
/// switch, not an array of typed-throwing closures: Swift 6.3 crashes on those in a top-level array.)
enum PathKind: CaseIterable {
    case tunnel(TunnelHotPath.Tunnel), stream, flows, recorder, recorderLookBack, merge

    static var allCases: [PathKind] { TunnelHotPath.Tunnel.allCases.map { .tunnel($0) } + [.stream, .flows, .recorder, .recorderLookBack, .merge] }

    func make() throws(HotPathError) -> any HotPath {
        switch self {
        case .tunnel(let tunnel): try TunnelHotPath(tunnel)
        case .stream: try StreamHotPath()
        case .flows: FlowHotPath()
        case .recorder: try RecorderHotPath(lookBack: false)
        case .recorderLookBack: try RecorderHotPath()
        case .merge: try MergeHotPath()
        }
    }
}

print("allocations on the calling thread, N = \(packets) and 10N = \(10 * packets) packets of \(CapturedFrame.bytes.count) bytes, "
    + "after a warm-up; fewest of \(repeats) runs")
print("path".padding(toLength: 86, withPad: " ", startingAt: 0)
    + "     N allocs  per packet    10N allocs  per packet   extra  allowed  verdict")
var failed = false
for kind in PathKind.allCases {
    do {
        let path = try kind.make()
        let growth = try AllocationGrowth.measure(path, packets: packets, repeats: repeats)
        let verdict = growth.passes ? "ok" : growth.grows ? "GROWS WITH N" : "LOST PACKETS"
        print(growth.path.padding(toLength: 86, withPad: " ", startingAt: 0)
            + String(format: "%11d  %10.4f  %12d  %10.4f  %6d  %7d  ", growth.short.allocations, growth.perPacket.short,
                     growth.long.allocations, growth.perPacket.long, growth.extra, growth.allowance) + verdict)
        if !growth.passes { failed = true }
    } catch {
        print("skipped: \(error)")
    }
}
exit(failed ? 1 : 0)
