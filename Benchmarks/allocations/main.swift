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

/// The paths, each made on demand: a GRE-based tunnel without root is reported and skipped.
let paths: [() throws(HotPathError) -> any HotPath] = TunnelHotPath.Tunnel.allCases.map { tunnel in
    { () throws(HotPathError) in try TunnelHotPath(tunnel) }
} + [
    { () throws(HotPathError) in try StreamHotPath() },
    { () throws(HotPathError) in try MergeHotPath() },
]

print("allocations on the calling thread, N = \(packets) and 10N = \(10 * packets) packets of \(CapturedFrame.bytes.count) bytes, "
    + "after a warm-up; fewest of \(repeats) runs")
print("path".padding(toLength: 62, withPad: " ", startingAt: 0)
    + "     N allocs  per packet    10N allocs  per packet   extra  allowed  verdict")
var failed = false
for make in paths {
    do {
        let path = try make()
        let growth = try AllocationGrowth.measure(path, packets: packets, repeats: repeats)
        let verdict = growth.passes ? "ok" : growth.grows ? "GROWS WITH N" : "LOST PACKETS"
        print(growth.path.padding(toLength: 62, withPad: " ", startingAt: 0)
            + String(format: "%11d  %10.4f  %12d  %10.4f  %6d  %7d  ", growth.short.allocations, growth.perPacket.short,
                     growth.long.allocations, growth.perPacket.long, growth.extra, growth.allowance) + verdict)
        if !growth.passes { failed = true }
    } catch {
        print("skipped: \(error)")
    }
}
exit(failed ? 1 : 0)
