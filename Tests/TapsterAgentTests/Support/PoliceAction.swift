@testable import TapsterAgent
import TapsterSystemTestSupport
import Testing

/// Whether this machine's kernel has tc's `police` action (`act_police`), which in-kernel mirrors need for a
/// bandwidth cap: a capped tap goes to userspace on kernels without it.
enum PoliceAction {
    /// Adds a police action to a throw-away veth's filter, and deletes the veth.
    static func available() throws -> Bool {
        let probe = try ProcessRunner.run(["sh", "-c", "ip link add tpprobe0 type veth peer name tpprobe1 && tc qdisc add dev tpprobe0 clsact "
            + "&& tc filter add dev tpprobe0 ingress bpf bytecode '1,6 0 0 4294967295' action police rate 1mbit burst 64k conform-exceed continue/pipe; "
            + "status=$?; ip link del tpprobe0; exit $status"], allowFailure: true)
        return probe.status == 0
    }

    /// Adds the lab's source to `mirror`, which has a bandwidth cap. On a kernel without the police action (this
    /// machine's) expects the failure that sends the tap to userspace, and returns nil.
    static func addCappedSource(to mirror: KernelMirror, _ lab: MirrorLab) async throws -> KernelMirrorSource? {
        guard try available() else {
            do {
                _ = try await mirror.add(lab.plan())
                Issue.record("a capped mirror was set up without a police action")
            } catch {
                #expect(error.needsUserspace, "\(error)")
                #expect(error.step == .filter)
            }
            return nil
        }
        return try await mirror.add(lab.plan())
    }
}
