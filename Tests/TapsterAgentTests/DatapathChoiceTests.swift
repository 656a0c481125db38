import Foundation
import PacketKit
@testable import TapsterAgent
import TapsterCore
import Testing

/// Which taps are mirrored in the kernel, and the reason given for each that is not.
@Suite("Datapath choice")
struct DatapathChoiceTests {
    private static func tap(_ destination: TapDestination, snaplen: UInt32 = 0, bpf: String = "") -> DesiredTap {
        DesiredTap(tapID: "t1", deadline: Date().addingTimeInterval(60), bpf: bpf, snaplen: snaplen, destination: destination)
    }

    @Test("A VXLAN target with whole packets is mirrored in the kernel")
    func vxlanWholePacketsGoToTheKernel() throws {
        let choice = Datapath.choose(for: Self.tap(.vxlan(address: "192.0.2.7", vni: 9, udpPort: 4789)), preference: .kernel)
        #expect(choice == .kernel(KernelMirror.Tunnel(remote: try #require(IPv4Address("192.0.2.7")), vni: 9, port: 4789)))
    }

    @Test("headers:N stays in userspace, saying why")
    func truncationStaysInUserspace() {
        let choice = Datapath.choose(for: Self.tap(.vxlan(address: "192.0.2.7", vni: 9, udpPort: 4789), snaplen: 128), preference: .kernel)
        #expect(choice == .userspace(reason: "headers:128 truncation is done by the agent"))
    }

    @Test("A filter on VLAN tags stays in userspace")
    func vlanFiltersStayInUserspace() {
        let choice = Datapath.choose(for: Self.tap(.vxlan(address: "192.0.2.7", vni: 9, udpPort: 4789), bpf: "vlan 10 and tcp"), preference: .kernel)
        #expect(choice.name == "userspace")
        #expect(choice.reason?.hasPrefix("the filter's 'vlan'") == true)
    }

    @Test("ERSPAN, ports and streams stay in userspace")
    func otherDestinationsStayInUserspace() {
        #expect(Datapath.choose(for: Self.tap(.erspanII(address: "192.0.2.7", sessionID: 1)), preference: .kernel).name == "userspace")
        #expect(Datapath.choose(for: Self.tap(.serverStream(captureID: "c1")), preference: .kernel).name == "userspace")
    }

    @Test("A tap with a host interface stays in userspace: the tunnel's own packets would be mirrored again")
    func hostInterfacesStayInUserspace() {
        var tap = Self.tap(.vxlan(address: "192.0.2.7", vni: 9, udpPort: 4789))
        tap.sources = [DesiredTapSource(workload: "web", netns: "/run/netns/web", interface: "eth0"),
                       DesiredTapSource(workload: "node", netns: nil, interface: "eth0")]

        let choice = Datapath.choose(for: tap, preference: .kernel)

        #expect(choice == .userspace(reason: "host interfaces are mirrored from userspace (the tunnel's own packets would be mirrored again)"))
    }

    @Test("Agents mirror in userspace unless told --datapath kernel")
    func userspaceIsTheDefault() {
        #expect(AgentSettings(server: ServerAddress(host: "127.0.0.1", port: 7443), name: "n", dataDirectory: URL(fileURLWithPath: "/tmp")).datapath == .userspace)
    }

    @Test("--datapath userspace keeps every tap in userspace")
    func preferenceUserspaceWins() {
        let choice = Datapath.choose(for: Self.tap(.vxlan(address: "192.0.2.7", vni: 9, udpPort: 4789)), preference: .userspace)
        #expect(choice == .userspace(reason: "the agent runs with --datapath userspace"))
    }

    @Test("The agent's mirror interfaces are not the workload's: the inventory leaves them out")
    func mirrorInterfacesAreRecognised() {
        #expect(KernelMirrorNames.isMirrorInterface(KernelMirrorNames(owner: KernelMirrorOwner(agent: "node-1"), tapID: "t1").veth(for: "web").workload))
        #expect(!KernelMirrorNames.isMirrorInterface("eth0"))
        #expect(!KernelMirrorNames.isMirrorInterface("tpa-not-hex-xyz"))
    }
}
