import Foundation
import SwiftProtobuf
import Testing
import TapsterCore
import TapsterWire

/// The one translation between Core's desired-tap values and the agent channel's protobuf messages: nothing
/// is lost either way, and the wire form is the one every agent already understands.
@Suite struct DesiredTapsWireTests {
    static let deadline = Date(timeIntervalSince1970: 1_800_000_900.5)

    static let destinations: [TapDestination] = [
        .erspanII(address: "192.0.2.10", sessionID: 42),
        .erspanIII(address: "192.0.2.11", sessionID: 1023),
        .vxlan(address: "192.0.2.20", vni: 7, udpPort: 4790),
        .gre(address: "192.0.2.30", key: 99),
        .gre(address: "192.0.2.31", key: nil),
        .gre(address: "192.0.2.32", key: 0),
        .port(PortDelivery(host: "node-2", netns: "db-1", interface: "eth0")),
        .port(PortDelivery(host: "node-3", netns: nil, interface: "mon0", tunnel: PortDelivery.Tunnel(address: "198.51.100.3", greKey: 77))),
        .serverStream(captureID: "10000000-0000-0000-0000-00000000000a"),
    ]

    static func tap(destination: TapDestination = .serverStream(captureID: "c1"), direction: Direction = .in) -> DesiredTap {
        DesiredTap(tapID: "t1", deadline: deadline,
                   sources: [DesiredTapSource(workload: "web-1", netns: "web-1", interface: "eth0"),
                             DesiredTapSource(workload: "host", netns: nil, interface: "ens3")],
                   bpf: "tcp port 5432", snaplen: 128, direction: direction, bandwidthCapBitsPerSecond: 10_000_000,
                   destination: destination)
    }

    static let reception = DesiredPortReception(tapID: "t2", greKey: 77, netns: "/proc/7/ns/net", interface: "mon0", deadline: deadline,
                                                allowedSources: ["198.51.100.1", "198.51.100.2"])

    @Test(arguments: destinations)
    func everyDestinationKindSurvivesTheWire(destination: TapDestination) {
        #expect(TapDestination(Tapster_Agent_V1_Destination(destination)) == destination)
    }

    @Test(arguments: Direction.allCases)
    func everyDirectionSurvivesTheWire(direction: Direction) {
        #expect(Direction(Tapster_Agent_V1_Direction(direction)) == direction)
        #expect(DesiredTap(Tapster_Agent_V1_TapAssignment(Self.tap(direction: direction))).direction == direction)
    }

    @Test(arguments: destinations)
    func aWholeDesiredSetSurvivesTheWire(destination: TapDestination) {
        let set = DesiredTapSet(revision: 1_764_000_000_123, taps: [Self.tap(destination: destination)], receptions: [Self.reception])
        #expect(DesiredTapSet(Tapster_Agent_V1_ServerMessage(set).desired) == set)
    }

    @Test func aTapWithoutCapOrNamespaceSurvivesTheWire() {
        var tap = Self.tap()
        tap.bandwidthCapBitsPerSecond = nil
        tap.sources = [DesiredTapSource(workload: "host", netns: nil, interface: "lo")]
        tap.bpf = ""
        tap.snaplen = 0
        #expect(DesiredTap(Tapster_Agent_V1_TapAssignment(tap)) == tap)
    }

    @Test func aLookBackWithEachSourcesOwnStartSurvivesTheWire() {
        var tap = Self.tap()
        tap.lookBackSince = 1_800_000_000_000_000_000
        tap.sources = [DesiredTapSource(workload: "web-1", netns: "web-1", interface: "eth0", lookBackRecorder: "r1",
                                        lookBackSince: 1_800_000_000_000_000_000),
                       DesiredTapSource(workload: "web-9", netns: "web-9", interface: "eth0", lookBackRecorder: "r1",
                                        lookBackSince: 1_800_000_030_000_000_000)]
        #expect(DesiredTap(Tapster_Agent_V1_TapAssignment(tap)) == tap)
    }

    @Test func aSourceLooksBackFromItsOwnStartOrElseTheTaps() {
        var tap = Self.tap()
        #expect(DesiredTapSource(workload: "web-1", netns: nil, interface: "eth0", lookBackRecorder: "r", lookBackSince: 7).lookBackStart(in: tap) == nil)
        tap.lookBackSince = 5
        #expect(DesiredTapSource(workload: "web-1", netns: nil, interface: "eth0", lookBackRecorder: "r", lookBackSince: 7).lookBackStart(in: tap) == 7)
        #expect(DesiredTapSource(workload: "web-1", netns: nil, interface: "eth0", lookBackRecorder: "r").lookBackStart(in: tap) == 5)
    }

    @Test func aSourceThatNamesNoRecorderDoesNotLookBack() {
        var tap = Self.tap()
        tap.lookBackSince = 5
        #expect(DesiredTapSource(workload: "web-9", netns: nil, interface: "eth0").lookBackStart(in: tap) == nil)
    }

    @Test func aTapIsSentInTheWireFormEveryAgentReads() {
        let message = Tapster_Agent_V1_TapAssignment(Self.tap(destination: .gre(address: "192.0.2.30", key: 99), direction: .out))
        #expect(message == .with {
            $0.tapID = "t1"
            $0.deadlineUnixNanos = 1_800_000_900_500_000_000
            $0.sources = [.with { $0.workload = "web-1"; $0.netns = "web-1"; $0.interface = "eth0" },
                          .with { $0.workload = "host"; $0.interface = "ens3" }]
            $0.bpf = "tcp port 5432"
            $0.snaplen = 128
            $0.direction = .out
            $0.bandwidthCapBitsPerSecond = 10_000_000
            $0.destination.tunnel = .with {
                $0.encapsulation = .gre
                $0.address = "192.0.2.30"
                $0.hasGreKey_p = true
                $0.greKey = 99
            }
        })
    }

    @Test func aReceptionIsSentInTheWireFormEveryAgentReads() {
        #expect(Tapster_Agent_V1_PortReception(Self.reception) == .with {
            $0.tapID = "t2"
            $0.greKey = 77
            $0.netns = "/proc/7/ns/net"
            $0.interface = "mon0"
            $0.deadlineUnixNanos = 1_800_000_900_500_000_000
            $0.allowedSources = ["198.51.100.1", "198.51.100.2"]
        })
    }

    @Test func aVXLANTunnelWithoutPortIsTheStandardPort() {
        let message = Tapster_Agent_V1_Destination.with {
            $0.tunnel = .with { $0.encapsulation = .vxlan; $0.address = "192.0.2.20"; $0.vni = 7 }
        }
        #expect(TapDestination(message) == .vxlan(address: "192.0.2.20", vni: 7, udpPort: 4789))
    }

    @Test func aTapWithoutDestinationIsKeptAsUnsupported() {
        #expect(DesiredTap(Tapster_Agent_V1_TapAssignment()).destination == .unsupported(reason: "the tap has no destination"))
    }

    @Test func aTunnelWithAnUnknownEncapsulationIsUnsupported() {
        let message = Tapster_Agent_V1_Destination.with { $0.tunnel = .with { $0.encapsulation = .UNRECOGNIZED(9); $0.address = "192.0.2.1" } }
        #expect(TapDestination(message) == .unsupported(reason: "tunnel without an encapsulation"))
    }
}
