import Foundation
import TapsterSystemTestSupport
@testable import TapsterAgent
import TapsterCore
import Testing

/// How the flow table summarises packets into flow records: who is client, counters, flags, RTT, ends,
/// export timing, and its bound.
@Suite("Flow table")
struct FlowTableTests {
    typealias F = SyntheticFrames

    @Test("the SYN's sender is the client, whichever side speaks first after")
    func clientBySYN() throws {
        let driver = FlowDriver()
        let tcp = TCPConversation(driver)
        tcp.handshake()
        tcp.serverSends("banner")
        driver.sink.close()
        let record = try #require(driver.drain().records.first)
        #expect(record.client == FlowEndpoint(address: "10.0.0.2", port: 43210))
        #expect(record.server == FlowEndpoint(address: "10.0.0.3", port: 80))
        #expect(record.ipProtocol == 6)
    }

    @Test("a flow first seen at its SYN-ACK: the receiver is the client")
    func clientBySYNACK() throws {
        let driver = FlowDriver()
        let tcp = TCPConversation(driver)
        driver.send(tcp.fromServer(F.syn | F.ack))
        driver.send(tcp.fromClient(F.ack))
        driver.sink.close()
        let record = try #require(driver.drain().records.first)
        #expect(record.client.port == 43210 && record.server.port == 80)
    }

    @Test("without a handshake, the first packet's sender is the client")
    func clientByFirstPacket() throws {
        let driver = FlowDriver()
        driver.send(F.udp(from: F.db, 53, to: F.web, 40000, payload: [1]))
        driver.send(F.udp(from: F.web, 40000, to: F.db, 53, payload: [2, 3]))
        driver.sink.close()
        let record = try #require(driver.drain().records.first)
        #expect(record.client == FlowEndpoint(address: "10.0.0.3", port: 53) && record.ipProtocol == 17)
        #expect(record.toServer == FlowCounters(packets: 1, bytes: 60) && record.toClient == FlowCounters(packets: 1, bytes: 60))
    }

    @Test("packets and wire bytes are counted each way, and TCP flags OR-ed each way")
    func countersAndFlags() throws {
        let driver = FlowDriver()
        let tcp = TCPConversation(driver)
        tcp.handshake()
        tcp.clientSends(String(repeating: "x", count: 100))
        tcp.serverSends(String(repeating: "y", count: 300))
        driver.sink.close()
        let record = try #require(driver.drain().records.first)
        #expect(record.toServer == FlowCounters(packets: 3, bytes: 60 + 60 + 154))
        #expect(record.toClient == FlowCounters(packets: 2, bytes: 60 + 354))
        #expect(record.tcpFlagsToServer == [.syn, .ack, .psh])
        #expect(record.tcpFlagsToClient == [.syn, .ack, .psh])
    }

    @Test("the RTT is SYN → SYN-ACK → ACK as seen on the interface")
    func rtt() throws {
        let driver = FlowDriver()
        TCPConversation(driver).handshake(synAck: .microseconds(1500), ack: .microseconds(250))
        driver.sink.close()
        #expect(try #require(driver.drain().records.first).rttMicroseconds == 1750)
    }

    @Test("no handshake seen, no RTT")
    func noRTT() throws {
        let driver = FlowDriver()
        TCPConversation(driver).clientSends("hello")
        driver.sink.close()
        #expect(try #require(driver.drain().records.first).rttMicroseconds == nil)
    }

    @Test("a FIN each way ends the flow: one record, after the linger, with the trailing ACK in it")
    func finEnds() throws {
        let driver = FlowDriver()
        let tcp = TCPConversation(driver)
        tcp.handshake()
        tcp.close()
        driver.idle(.seconds(1))
        #expect(driver.drain().records.isEmpty, "still lingering")
        driver.idle(.seconds(2))
        let records = driver.drain().records
        #expect(records.count == 1)
        let record = try #require(records.first)
        #expect(record.end == .fin && record.toServer.packets == 4 && record.toClient.packets == 2)
        #expect(driver.sink.flowCount == 0)
    }

    @Test("a RST ends the flow as reset, and the flags show it")
    func resetEnds() throws {
        let driver = FlowDriver()
        let tcp = TCPConversation(driver)
        tcp.handshake()
        driver.send(tcp.fromServer(F.rst | F.ack))
        driver.idle(.seconds(3))
        let record = try #require(driver.drain().records.first)
        #expect(record.end == .reset && record.tcpFlagsToClient.contains(.rst))
    }

    @Test("a SYN on a closed flow's ports starts a new flow and sends the old one's record at once")
    func portReuse() throws {
        let driver = FlowDriver()
        let first = TCPConversation(driver)
        first.handshake()
        first.close()
        TCPConversation(driver).handshake()
        let records = driver.drain().records
        #expect(records.map(\.end) == [.fin])
        #expect(driver.sink.flowCount == 1)
    }

    @Test("a quiet flow ends idle by the clock alone: UDP after 30 s, TCP after 120 s")
    func idleTimeout() throws {
        let driver = FlowDriver()
        driver.send(F.udp(from: F.web, 40000, to: F.db, 53))
        TCPConversation(driver).handshake()
        driver.idle(.seconds(31))
        let udp = driver.drain().records.filter { $0.end != .live }
        #expect(udp.map(\.ipProtocol) == [17] && udp.first?.end == .idle)
        driver.idle(.seconds(90))
        let tcp = driver.drain().records.filter { $0.end != .live }
        #expect(tcp.map(\.ipProtocol) == [6] && tcp.first?.end == .idle)
        #expect(driver.sink.flowCount == 0)
    }

    @Test("a live flow's record is sent at least every 10 s, by the clock when no packets come")
    func liveExport() throws {
        let driver = FlowDriver()
        let tcp = TCPConversation(driver)
        tcp.handshake()
        var times: [Date] = []
        for _ in 0..<25 {
            driver.idle(.seconds(1))
            times += driver.drain().records.map { _ in Date(timeIntervalSince1970: Double(driver.now) / 1e9) }
        }
        #expect(times.count == 2 || times.count == 3)
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        var previous = start
        for time in times {
            #expect(time.timeIntervalSince(previous) <= FlowRecord.exportInterval + 0.01)
            previous = time
        }
    }

    @Test("closing the sink sends every open flow as stopped")
    func closeStops() throws {
        let driver = FlowDriver()
        TCPConversation(driver).handshake()
        driver.send(F.echoRequest(from: F.web6, to: F.db6))
        driver.sink.close()
        let records = driver.drain().records
        #expect(records.count == 2 && records.allSatisfy { $0.end == .stopped })
        #expect(records.contains { $0.ipProtocol == 58 && $0.client.address == "fd00::2" && $0.client.port == 0 })
        #expect(records.allSatisfy { $0.tapID == "tap-1" && $0.workload == "web" && $0.interface == "eth0" && $0.host.isEmpty })
    }

    @Test("flows beyond the capacity are counted once each, never summarised in part")
    func capacity() throws {
        let driver = FlowDriver(limits: FlowLimits(flowCapacity: 4))
        for port in UInt16(1)...6 {
            driver.send(F.udp(from: F.web, port, to: F.db, 53))
            driver.send(F.udp(from: F.web, port, to: F.db, 53))
        }
        driver.sink.close()
        let batch = driver.drain()
        #expect(batch.records.count == 4 && batch.flowsDropped == 2)
        #expect(batch.records.allSatisfy { $0.toServer.packets == 2 })
    }

    @Test("frames that are not IP, or cut short, are counted as unreadable")
    func unreadable() throws {
        let driver = FlowDriver()
        let frame = F.tcp(from: F.web, 1, to: F.db, 2, flags: F.syn)
        driver.send(Array(frame[..<30]))
        driver.idle(.seconds(2))
        #expect(driver.drain().packetsUnreadable == 1)
    }

    @Test("removing flows keeps every other flow findable (the index's backward shift)")
    func removalKeepsIndex() throws {
        let driver = FlowDriver(limits: FlowLimits(flowCapacity: 64))
        for port in UInt16(1)...60 { driver.send(F.udp(from: F.web, port, to: F.db, 53)) }
        driver.idle(.seconds(20))
        for port in UInt16(1)...60 where port % 2 == 0 { driver.send(F.udp(from: F.web, port, to: F.db, 53)) }
        driver.idle(.seconds(15)) // the odd ports are idle now, 35 s after their only packet
        #expect(driver.sink.flowCount == 30)
        for port in UInt16(1)...60 where port % 2 == 0 { driver.send(F.udp(from: F.web, port, to: F.db, 53)) }
        #expect(driver.sink.flowCount == 30, "each even port's third packet found its flow")
        driver.sink.close()
        let even = driver.drain().records.filter { $0.end == .stopped }
        #expect(even.count == 30 && even.allSatisfy { $0.toServer.packets == 3 })
    }
}
