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
        #expect(choice == .kernel(.vxlan(KernelMirror.Tunnel(remote: try #require(IPv4Address("192.0.2.7")), vni: 9, port: 4789))))
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

    @Test("ERSPAN and streams stay in userspace")
    func otherDestinationsStayInUserspace() {
        #expect(Datapath.choose(for: Self.tap(.erspanII(address: "192.0.2.7", sessionID: 1)), preference: .kernel).name == "userspace")
        #expect(Datapath.choose(for: Self.tap(.serverStream(captureID: "c1")), preference: .kernel).name == "userspace")
    }

    @Test("With --kernel-port-delivery a port on this host is mirrored in the kernel, into the port's namespace and interface")
    func aLocalPortGoesToTheKernel() {
        let local = PortDelivery(host: "node-1", netns: "/run/netns/mon", interface: "eth0")
        let choice = Datapath.choose(for: Self.tap(.port(local)), preference: .kernel, portDelivery: true)
        #expect(choice == .kernel(.port(KernelMirror.Port(namespace: .path("/run/netns/mon"), interface: "eth0"))))
    }

    @Test("PortDelivery: without --kernel-port-delivery a local port stays in userspace under --datapath kernel, saying why")
    func portDeliveryIsItsOwnOptIn() {
        let local = PortDelivery(host: "node-1", netns: "/run/netns/mon", interface: "eth0")
        let choice = Datapath.choose(for: Self.tap(.port(local)), preference: .kernel)
        #expect(choice == .userspace(reason: Datapath.portDeliveryOffReason))
        #expect(choice.reason?.hasPrefix("monitor ports are delivered from userspace unless the agent runs with --kernel-port-delivery: ") == true)
        #expect(Datapath.choose(for: Self.tap(.vxlan(address: "192.0.2.7", vni: 9, udpPort: 4789)), preference: .kernel).name == "kernel",
                "VXLAN needs no second opt-in")
        #expect(AgentSettings(server: ServerAddress(host: "127.0.0.1", port: 7443), name: "n",
                              dataDirectory: URL(fileURLWithPath: "/tmp")).kernelPortDelivery == false)
    }

    @Test("PortDelivery: a port in the agent's own namespace stays in userspace: the copies would enter the host's stack")
    func aPortInTheHostsNamespaceStaysInUserspace() {
        for netns in [nil, ""] {
            let inTheHostsNamespace = PortDelivery(host: "node-1", netns: netns, interface: "cilium_host")
            #expect(Datapath.choose(for: Self.tap(.port(inTheHostsNamespace)), preference: .kernel, portDelivery: true)
                == .userspace(reason: Datapath.hostPortReason))
        }
    }

    @Test("PortDelivery: a program reading the packet's metadata (SKF_AD_ loads) is refused on the port's veth; one reading bytes is not")
    func metadataLoadsAreRefusedOnThePortsVeth() throws {
        #expect(KernelMirror.PortFilter.refusal(of: try BPFProgram.compile("tcp and port 80 or arp", linkType: .ethernet)) == nil)
        // ld #ifidx (SKF_AD_IFINDEX), ldh #type (SKF_AD_PKTTYPE), ldb at SKF_AD_OFF itself: all of them, any size.
        for (code, k) in [(UInt16(0x20), UInt32(0xffff_f008)), (UInt16(0x28), UInt32(0xffff_f004)), (UInt16(0x30), UInt32(0xffff_f000))] {
            let program = BPFProgram(instructions: [BPFInstruction(code: code, jt: 0, jf: 0, k: k),
                                                    BPFInstruction(code: 0x06, jt: 0, jf: 0, k: 262_144)])
            #expect(KernelMirror.PortFilter.refusal(of: program) != nil, "code \(code) k \(k)")
        }
        // An indirect load at a large offset reads bytes, not metadata.
        let indirect = BPFProgram(instructions: [BPFInstruction(code: 0x40, jt: 0, jf: 0, k: 0xffff_f008), BPFInstruction(code: 0x06, jt: 0, jf: 0, k: 1)])
        #expect(KernelMirror.PortFilter.refusal(of: indirect) == nil)
        #expect(KernelMirrorError(.portFilter, subject: "inbound").needsUserspace)
    }

    @Test("A port on another host stays in userspace: the agent tunnels its frames to that host's agent")
    func aRemotePortStaysInUserspace() {
        let remote = PortDelivery(host: "node-2", netns: "/run/netns/mon", interface: "eth0",
                                  tunnel: PortDelivery.Tunnel(address: "192.0.2.9", greKey: 7))
        let choice = Datapath.choose(for: Self.tap(.port(remote)), preference: .kernel, portDelivery: true)
        #expect(choice == .userspace(reason: "a port on another host is reached through the agent's GRE tunnel to that host's agent"))
    }

    @Test("A port tap with headers:N or a VLAN filter stays in userspace, as a VXLAN tap does")
    func aLocalPortKeepsTheOtherLimits() {
        let local = TapDestination.port(PortDelivery(host: "node-1", netns: "/run/netns/mon", interface: "eth0"))
        #expect(Datapath.choose(for: Self.tap(local, snaplen: 96), preference: .kernel, portDelivery: true)
            == .userspace(reason: "headers:96 truncation is done by the agent"))
        #expect(Datapath.choose(for: Self.tap(local, bpf: "vlan 10"), preference: .kernel, portDelivery: true).reason?.hasPrefix("the filter's 'vlan'") == true)
        #expect(Datapath.choose(for: Self.tap(local), preference: .userspace) == .userspace(reason: "the agent runs with --datapath userspace"))
    }

    @Test("A port that is not a veth with its other end in the host's namespace sends the tap to userspace")
    func aPortWithoutAHostPeerNeedsUserspace() {
        let error = KernelMirrorError(.port, subject: "eth0 in netns mon", detail: "finding the port's veth peer: not in the agent's namespace")
        #expect(error.needsUserspace)
        #expect(!KernelMirrorError(.portIsSource, subject: "eth0 in netns mon").needsUserspace, "a loop fails the source: userspace would loop too")
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
