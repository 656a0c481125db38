import Foundation
import Logging
import Testing
import TapsterCore
@testable import TapsterAgent

/// How the agent runs a desired tap, from Core's values alone (no protobuf): a capture plan per source, and
/// the sink its destination asks for.
@Suite struct DesiredTapRunTests {
    static let deadline = Date(timeIntervalSince1970: 1_800_000_900)

    static let tap = DesiredTap(
        tapID: "t1", deadline: deadline,
        sources: [DesiredTapSource(workload: "web-1", netns: "web-1", interface: "eth0"),
                  DesiredTapSource(workload: "host", netns: nil, interface: "ens3")],
        bpf: "tcp port 5432", snaplen: 128, direction: .out, bandwidthCapBitsPerSecond: 10_000_000,
        destination: .erspanII(address: "192.0.2.10", sessionID: 42))

    static let sinks = SinkFactory(hostName: "node-1", tunnelAddress: nil, logger: Logger(label: "test"))

    @Test func everySourceIsCapturedWithTheTapsExpressionDirectionSnapLengthCapAndDeadline() {
        #expect(Self.tap.capturePlans == [
            CapturePlan(tapID: "t1", source: CaptureSource(workload: "web-1", namespace: .named("web-1"), interface: "eth0"),
                        bpf: "tcp port 5432", snaplen: 128, direction: .out, deadline: Self.deadline, bandwidthCap: 10_000_000),
            CapturePlan(tapID: "t1", source: CaptureSource(workload: "host", namespace: .host, interface: "ens3"),
                        bpf: "tcp port 5432", snaplen: 128, direction: .out, deadline: Self.deadline, bandwidthCap: 10_000_000),
        ])
    }

    @Test func aTapWhoseSourcesAndLookBackStartChangedIsTheSameTapWithOtherSources() {
        var running = Self.tap
        running.destination = .serverStream(captureID: "c1")
        running.lookBackSince = 1_000
        var next = running
        next.sources = [DesiredTapSource(workload: "web-1", netns: "web-1", interface: "eth0", lookBackRecorder: "rec", lookBackSince: 2_000)]
        next.lookBackSince = 2_000
        #expect(running.differsOnlyInSources(from: next))
    }

    @Test func aTapThatStartsOrStopsLookingBackOrChangesItsExpressionIsAnotherTap() {
        var running = Self.tap
        running.lookBackSince = 1_000
        var live = running
        live.lookBackSince = nil
        #expect(!running.differsOnlyInSources(from: live))
        #expect(!live.differsOnlyInSources(from: running))
        var narrower = running
        narrower.bpf = "tcp port 5433"
        #expect(!running.differsOnlyInSources(from: narrower))
    }

    @Test func aTapWithoutCapSendsWithoutLimit() {
        var tap = Self.tap
        tap.bandwidthCapBitsPerSecond = nil
        #expect(tap.capturePlans.map(\.bandwidthCap) == [nil, nil])
    }

    @Test func anUnsupportedDestinationFailsTheSourceWithItsReason() async throws {
        let plan = try #require(Self.tap.capturePlans.first)
        do {
            _ = try await Self.sinks.makeSink(for: .unsupported(reason: "the tap has no destination"), plan: plan, localMAC: nil,
                                              upload: nil, index: 0)
            Issue.record("a sink was made for no destination")
        } catch {
            #expect("\(error)" == "cannot send there: the tap has no destination")
        }
    }

    @Test func aTunnelToAnAddressThatIsNotIPv4IsRefused() async throws {
        let plan = try #require(Self.tap.capturePlans.first)
        do {
            _ = try await Self.sinks.makeSink(for: .vxlan(address: "tool.example", vni: 7, udpPort: 4789), plan: plan, localMAC: nil,
                                              upload: nil, index: 0)
            Issue.record("a sink was made for a name")
        } catch {
            #expect("\(error)" == "cannot send there: \"tool.example\" is not an IPv4 address")
        }
    }
}
