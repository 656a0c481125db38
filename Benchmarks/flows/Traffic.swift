import Foundation
import PacketKit

/// The offline benchmark's input: a pcapng file of many short TCP connections on one Ethernet interface, made
/// deterministically from a seed. Each connection, as a tap on the client's side would see it: the handshake
/// (SYN, SYN-ACK after one round trip, ACK), 1–4 exchanges (a request, 1–3 response segments, the client's
/// ACK), and the close — a FIN each way and the last ACK, or (one in twenty) a client RST. A quarter are HTTP/1.1
/// to port 8080 (a request line with ids in the path, a status line), so the agent's HTTP reading works on them
/// too; the rest carry binary payloads to port 5432. Every connection has its own address/port pair, so it is
/// one conversation for tshark and one flow for the agent. Start times are spread over `seconds` of capture
/// time; a connection lasts a few milliseconds. Sequence numbers follow the bytes sent.
struct Traffic {
    var connections: Int
    var seed: UInt64
    var seconds: Int

    static let start: UInt64 = 1_764_892_800_000_000_000  // 2025-12-05T00:00:00Z, ns

    struct Summary {
        var packets = 0
        var bytes = 0
        var httpConnections = 0
        var resets = 0
    }

    /// One packet before sorting: when, and its frame.
    private struct Event {
        var timestamp: UInt64
        var order: Int
        var frame: [UInt8]
    }

    func write(to path: String) throws -> Summary {
        var random = SplitMix(seed: seed)
        var events: [Event] = []
        events.reserveCapacity(connections * 14)
        var summary = Summary()
        let span = UInt64(seconds) * 1_000_000_000
        for connection in 0..<connections {
            let client = 4096 + connection % 60_000            // 10.1.x.y, up to 60 000 clients
            let clientIP: [UInt8] = [10, 1, UInt8(client >> 8 & 0xff), UInt8(client & 0xff)]
            let clientPort = UInt16(20_000 + connection / 60_000)
            let http = random.next() % 4 == 0
            let server = Int(random.next() % 50) + 1
            let serverIP: [UInt8] = [10, 2, 0, UInt8(server)]
            let serverPort: UInt16 = http ? 8080 : 5432
            let rtt = 200_000 + random.next() % 1_800_000      // 0.2–2 ms
            var time = Self.start + random.next() % span
            var clientSequence = UInt32(truncatingIfNeeded: random.next())
            var serverSequence = UInt32(truncatingIfNeeded: random.next())
            var order = events.count
            func emit(fromClient: Bool, flags: UInt8, payload: [UInt8] = []) {
                let frame = fromClient
                    ? Self.segment(from: clientIP, clientPort, to: serverIP, serverPort, sequence: clientSequence,
                                   acknowledgement: serverSequence, flags: flags, payload: payload)
                    : Self.segment(from: serverIP, serverPort, to: clientIP, clientPort, sequence: serverSequence,
                                   acknowledgement: clientSequence, flags: flags, payload: payload)
                let consumed = UInt32(payload.count) + (flags & 0x03 != 0 ? 1 : 0)  // SYN and FIN count one
                if fromClient { clientSequence &+= consumed } else { serverSequence &+= consumed }
                events.append(Event(timestamp: time, order: order, frame: frame))
                order += 1
                summary.packets += 1
                summary.bytes += frame.count
            }
            let syn: UInt8 = 0x02, ack: UInt8 = 0x10, psh: UInt8 = 0x08, fin: UInt8 = 0x01, rst: UInt8 = 0x04
            emit(fromClient: true, flags: syn)
            time += rtt
            emit(fromClient: false, flags: syn | ack)
            time += 10_000
            emit(fromClient: true, flags: ack)
            let exchanges = Int(random.next() % 4) + 1
            for exchange in 0..<exchanges {
                time += 20_000 + random.next() % 200_000
                if http {
                    let request = "GET /users/\(random.next() % 100_000)/orders/\(String(random.next() % 0xffff_ffff, radix: 16)) HTTP/1.1\r\nHost: api\r\n\r\n"
                    emit(fromClient: true, flags: psh | ack, payload: Array(request.utf8))
                    time += rtt + random.next() % 500_000
                    let body = Int(random.next() % 200)
                    let response = "HTTP/1.1 200 OK\r\nContent-Length: \(body)\r\n\r\n" + String(repeating: "x", count: body)
                    emit(fromClient: false, flags: psh | ack, payload: Array(response.utf8))
                } else {
                    emit(fromClient: true, flags: psh | ack, payload: Self.binary(Int(random.next() % 120) + 8, &random))
                    time += rtt + random.next() % 500_000
                    let segments = Int(random.next() % 3) + 1
                    for segment in 0..<segments {
                        if segment > 0 { time += 5_000 + random.next() % 20_000 }
                        emit(fromClient: false, flags: psh | ack, payload: Self.binary(Int(random.next() % 400) + 8, &random))
                    }
                }
                time += 10_000 + UInt64(exchange) * 1_000
                emit(fromClient: true, flags: ack)
            }
            time += 50_000 + random.next() % 500_000
            if random.next() % 20 == 0 {
                emit(fromClient: true, flags: rst | ack)
                summary.resets += 1
            } else {
                emit(fromClient: true, flags: fin | ack)
                time += rtt
                emit(fromClient: false, flags: fin | ack)
                time += 10_000
                emit(fromClient: true, flags: ack)
            }
            if http { summary.httpConnections += 1 }
        }
        events.sort { ($0.timestamp, $0.order) < ($1.timestamp, $1.order) }

        var writer = PcapngWriter(reservingCapacity: 8 << 20)
        writer.writeSectionHeader(PcapngSectionHeader(userApplication: "flow-bench"))
        let interface = try writer.writeInterfaceDescription(PcapngInterfaceDescription(
            name: "web/eth0", description: "flow-bench: \(connections) TCP connections, seed \(seed)"))
        guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
            throw BenchError("cannot create \(path)")
        }
        defer { try? file.close() }
        var last: UInt64 = 0
        for event in events {
            // Strictly increasing timestamps, as a capture has them.
            let timestamp = max(event.timestamp, last + 1)
            last = timestamp
            try event.frame.withUnsafeBytes { try writer.writeEnhancedPacket(interfaceID: interface, timestamp: timestamp, data: $0) }
            if writer.byteCount >= 4 << 20 { try writer.drain { try file.write(contentsOf: Data($0)) } }
        }
        try writer.drain { try file.write(contentsOf: Data($0)) }
        return summary
    }

    /// A pcapng file with a section and an interface but no packet: tshark's start-up cost alone.
    static func writeEmpty(to path: String) throws {
        var writer = PcapngWriter()
        writer.writeSectionHeader(PcapngSectionHeader(userApplication: "flow-bench"))
        _ = try writer.writeInterfaceDescription(PcapngInterfaceDescription(name: "web/eth0"))
        var bytes: [UInt8] = []
        writer.drain { bytes.append(contentsOf: $0) }
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { throw BenchError("cannot create \(path)") }
    }

    /// Ethernet + IPv4 (with its checksum) + TCP (20 bytes, no options; checksum left 0) + `payload`.
    static func segment(from source: [UInt8], _ sourcePort: UInt16, to destination: [UInt8], _ destinationPort: UInt16,
                        sequence: UInt32, acknowledgement: UInt32, flags: UInt8, payload: [UInt8]) -> [UInt8] {
        let length = 40 + payload.count
        var frame: [UInt8] = [0x02, 0x42, 0x0a, 0, 0, destination[3], 0x02, 0x42, 0x0a, 0, 0, source[3], 0x08, 0x00]
        var ip: [UInt8] = [0x45, 0, UInt8(length >> 8), UInt8(length & 0xff), 0, 0, 0x40, 0, 64, 6, 0, 0] + source + destination
        var sum: UInt32 = 0
        for index in stride(from: 0, to: 20, by: 2) { sum += UInt32(ip[index]) << 8 | UInt32(ip[index + 1]) }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        let checksum = ~UInt16(sum)
        ip[10] = UInt8(checksum >> 8)
        ip[11] = UInt8(checksum & 0xff)
        frame += ip
        frame += [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xff)]
        frame += [UInt8(sequence >> 24), UInt8(sequence >> 16 & 0xff), UInt8(sequence >> 8 & 0xff), UInt8(sequence & 0xff)]
        frame += [UInt8(acknowledgement >> 24), UInt8(acknowledgement >> 16 & 0xff), UInt8(acknowledgement >> 8 & 0xff),
                  UInt8(acknowledgement & 0xff)]
        frame += [0x50, flags, 0xfa, 0xf0, 0, 0, 0, 0] + payload
        return frame
    }

    /// `count` bytes that do not start like an HTTP request (a length-prefixed binary protocol).
    static func binary(_ count: Int, _ random: inout SplitMix) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var word = random.next()
        for index in 4..<count {
            if index % 8 == 0 { word = random.next() }
            bytes[index] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(index % 8)))
        }
        bytes[2] = UInt8(count >> 8 & 0xff)
        bytes[3] = UInt8(count & 0xff)
        return bytes
    }
}

/// A small deterministic generator (SplitMix64): the same seed, the same file.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Prints a line at once (unbuffered, also into a pipe), so progress shows as it comes.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
