import TapsterSystemTestSupport
import Foundation
import PacketKit
import TapsterCore
import Testing
@testable import TapsterAgent

/// Frames another host's agent tunnels here (GRE-TEB with a tap's key, sent by a ``TunnelSink`` to the
/// loopback address) are delivered into the registered port, where tcpdump sees them; others are not.
@Suite("Port receiver")
struct PortReceiverTests {
    /// A monitor port with tcpdump on it, and a receiver on a loopback address of its own (a raw GRE socket
    /// bound to it sees no other test's tunnels, so its refusal counts are this lab's).
    final class Lab: @unchecked Sendable {
        let topology: NetnsTopology
        let directory: ScratchDirectory
        let port: NetnsTopology.Host
        let tcpdump: TcpdumpCounter
        let receiver: PortReceiver
        let address = IPv4Address(127, UInt8.random(in: 1...254), UInt8.random(in: 0...255), UInt8.random(in: 1...254))

        init() async throws {
            topology = try NetnsTopology(roles: ["monitor"])
            var created: ScratchDirectory?
            do {
                let directory = try ScratchDirectory(label: topology.prefix)
                created = directory
                self.directory = directory
                port = topology["monitor"]
                tcpdump = try await TcpdumpCounter(name: "port", namespace: port.namespace, interface: port.interface,
                                                   filter: TestFrames.filter, directory: directory)
                receiver = try await PortReceiver.start(localAddress: address.description)
            } catch {
                topology.remove()
                created?.remove()
                throw error
            }
        }

        /// The address the planned source host sends from.
        static let plannedSource = IPv4Address(127, 0, 0, 2)

        func reception(tap: String, key: UInt32, lasting duration: TimeInterval = 60) -> PortReception {
            PortReception(tapID: tap, greKey: key, allowedSources: [Self.plannedSource], namespace: .named(port.namespace),
                          interface: port.interface, deadline: Date().addingTimeInterval(duration))
        }

        /// Sends frames `indices` GRE-TEB encapsulated with `key` from `source` to the receiver, as a source
        /// host's agent does.
        func send(_ indices: Range<Int>, key: UInt32, from source: IPv4Address = plannedSource) throws {
            let sink = try TunnelSink(encapsulation: .gre(key: key), destination: address, source: source)
            for index in indices {
                TestFrames.frame(index).withUnsafeBytes { sink.accept($0, originalLength: $0.count, timestampNanoseconds: 0) }
            }
            #expect(sink.flush() == 0)
            sink.close()
        }

        func tearDown() async {
            await receiver.stop()
            _ = tcpdump.stop()
            topology.remove()
            directory.remove()
        }
    }

    static func randomKey() -> UInt32 { UInt32.random(in: 1...UInt32.max) }

    @Test("GRE-TEB frames with the reception's key are injected into its port; other keys are dropped and counted")
    func deliversMatchingKeyOnly() async throws {
        let lab = try await Lab()
        let key = Self.randomKey()
        do {
            try await lab.receiver.add(lab.reception(tap: "tap-1", key: key))

            try lab.send(0..<5, key: key &+ 1)   // wrong key: dropped
            try lab.send(5..<15, key: key)        // right key: injected, after the wrong ones

            let lines = try await lab.tcpdump.waitForFrames(10)
            #expect(lab.tcpdump.stop() == 10)
            #expect(lines.map(TestFrames.index(ofLine:)) == Array(5..<15))
            #expect(lab.receiver.counters(tapID: "tap-1") == PortReceptionCounters(packets: 10, bytes: 640, failures: 0))
            #expect(lab.receiver.refusals == PortReceiverRefusals(unknownKey: 5))
        } catch {
            await lab.tearDown()
            throw error
        }
        await lab.tearDown()
    }

    @Test("frames with the reception's key from an address it does not allow are dropped and counted")
    func refusesUnplannedSource() async throws {
        let lab = try await Lab()
        let key = Self.randomKey()
        do {
            try await lab.receiver.add(lab.reception(tap: "tap-1", key: key))

            try lab.send(0..<4, key: key, from: IPv4Address(127, 0, 0, 3))   // right key, unplanned host: dropped
            try lab.send(4..<6, key: key)                                    // the planned host: injected, after them

            let lines = try await lab.tcpdump.waitForFrames(2)
            #expect(lab.tcpdump.stop() == 2)
            #expect(lines.map(TestFrames.index(ofLine:)) == [4, 5])
            #expect(lab.receiver.counters(tapID: "tap-1") == PortReceptionCounters(packets: 2, bytes: 128, failures: 0, refused: 4))
            #expect(lab.receiver.refusals == PortReceiverRefusals(unplannedSource: 4))
        } catch {
            await lab.tearDown()
            throw error
        }
        await lab.tearDown()
    }

    @Test("a reception ends at its deadline by itself; later frames are not injected")
    func deadline() async throws {
        let lab = try await Lab()
        let (expiring, marker) = (Self.randomKey(), Self.randomKey())
        do {
            // The reception is delivering before its deadline is brought near, so a loaded machine that is slow
            // to open the port cannot make the deadline pass before the first frames arrive.
            try await lab.receiver.add(lab.reception(tap: "short", key: expiring))
            let markerReception = lab.reception(tap: "marker", key: marker)
            try await lab.receiver.add(markerReception)
            try lab.send(0..<3, key: expiring)
            try await lab.tcpdump.waitForFrames(3)
            let short = lab.reception(tap: "short", key: expiring, lasting: 1)
            #expect(await lab.receiver.apply([short, markerReception]).isEmpty)

            try await eventually(timeout: .seconds(60), "the short reception to end") {
                lab.receiver.receptions.map(\.tapID) == ["marker"] ? true : nil
            }
            // Frames past the deadline are refused frame by frame (checked below); the reception's removal is
            // bounded by the thread's 100 ms poll, plus scheduling delay on a loaded 2-core machine (3.7 s was
            // seen with the whole suite running): the bound tells "by itself at its deadline" from a late sweep.
            #expect(Date().timeIntervalSince(short.deadline) < 10, "ended within seconds of its deadline")
            try lab.send(3..<6, key: expiring)   // after the deadline: dropped
            try lab.send(6..<7, key: marker)     // delivered, after the dropped ones

            let lines = try await lab.tcpdump.waitForFrames(4)
            #expect(lab.tcpdump.stop() == 4)
            #expect(lines.map(TestFrames.index(ofLine:)) == [0, 1, 2, 6])
        } catch {
            await lab.tearDown()
            throw error
        }
        await lab.tearDown()
    }

    @Test("apply makes the receptions exactly the desired ones, keeping those in place")
    func apply() async throws {
        let lab = try await Lab()
        let (a, b, c) = (Self.randomKey(), Self.randomKey(), Self.randomKey())
        let first = [lab.reception(tap: "a", key: a), lab.reception(tap: "b", key: b)]
        #expect(await lab.receiver.apply(first).isEmpty)
        #expect(Set(lab.receiver.receptions) == Set(first))

        let missing = PortReception(tapID: "c", greKey: c, allowedSources: [Lab.plannedSource], namespace: .named(lab.port.namespace),
                                    interface: "nope0", deadline: .distantFuture)
        let failures = await lab.receiver.apply([first[1], missing])
        #expect(failures == ["c": PortDeliveryError(stage: .interface, subject: "nope0 in netns \(lab.port.namespace)", reason: "No such device")])
        #expect(lab.receiver.receptions == [first[1]])

        lab.receiver.remove(tapID: "b")
        #expect(lab.receiver.receptions == [])
        await lab.tearDown()
    }

    @Test("a reception is made from the server's desired port reception; addresses that are not IPv4 allow nothing")
    func fromDesiredReception() {
        let desired = DesiredPortReception(tapID: "t1", greKey: 42, netns: "/proc/7/ns/net", interface: "mon0",
                                           deadline: Date(timeIntervalSince1970: 1_800_000_000.5),
                                           allowedSources: ["192.0.2.1", "192.0.2.2", "not-an-address"])

        let reception = PortReception(desired)

        #expect(reception == PortReception(tapID: "t1", greKey: 42, allowedSources: [IPv4Address(192, 0, 2, 1), IPv4Address(192, 0, 2, 2)],
                                           namespace: .path("/proc/7/ns/net"), interface: "mon0",
                                           deadline: Date(timeIntervalSince1970: 1_800_000_000.5)))
        #expect(reception.deadlineNanoseconds == 1_800_000_000_500_000_000)
    }
}
