import PacketKit
import Testing

/// Byte-exact headers from the specifications: draft-foschiano-erspan-03 (ERSPAN II §4.2, III §4.3),
/// RFC 7348 §5 (VXLAN), RFC 2784 / RFC 2890 (GRE, key and sequence number).
@Suite("Encapsulation headers, byte for byte")
struct EncapsulationHeaderTests {
    static let frame = InnerFrames.tcpSyn()
    static let capture: UInt64 = 1_700_000_000_123_456_789

    func encapsulated<E: PacketEncapsulator>(_ encapsulator: inout E, _ frame: [UInt8] = frame,
                                             info: MirroredFrameInfo = MirroredFrameInfo()) -> [UInt8] {
        var buffer: [UInt8] = []
        encapsulator.encapsulate(frame, info: info, into: &buffer)
        return buffer
    }

    @Test("ERSPAN II: GRE S bit + sequence, 0x88BE, version 1, session id, index")
    func erspanTypeII() throws {
        var erspan = try ERSPANTypeIIEncapsulator(sessionID: 100, index: 0x12345, firstSequenceNumber: 7)
        let bytes = encapsulated(&erspan)
        #expect(Array(bytes[0..<16]) == [0x10, 0x00, 0x88, 0xBE, 0, 0, 0, 7,
                                         0x10, 0x00, 0x00, 0x64, 0x00, 0x01, 0x23, 0x45])
        #expect(Array(bytes[16...]) == Self.frame)
        #expect(erspan.headerLength == 16 && erspan.transport == .ip(protocolNumber: 47))
        // The sequence number counts packets of the session.
        #expect(Array(encapsulated(&erspan)[4..<8]) == [0, 0, 0, 8])
        #expect(erspan.sequenceNumber == 9)
    }

    @Test("ERSPAN II: every field at its bit position")
    func erspanTypeIIFields() throws {
        var erspan = try ERSPANTypeIIEncapsulator(sessionID: 1023, vlan: 10, classOfService: 5, encapsulation: .dot1Q, index: 0xFFFFF)
        let bytes = encapsulated(&erspan, info: MirroredFrameInfo(originalLength: 1500))
        // Ver=1 VLAN=10 | COS=101 En=10 T=1 Session=1111111111 ; Reserved=0 Index=0xFFFFF
        #expect(Array(bytes[8..<16]) == [0x10, 0x0A, 0xB7, 0xFF, 0x00, 0x0F, 0xFF, 0xFF])
    }

    @Test("ERSPAN II: a tagged frame sets En=3 and VLAN from its tag, as Linux does")
    func erspanTypeIITagged() throws {
        var erspan = try ERSPANTypeIIEncapsulator(sessionID: 1)
        let bytes = encapsulated(&erspan, InnerFrames.tcpSyn(vlan: 100))
        #expect(Array(bytes[8..<12]) == [0x10, 0x64, 0x18, 0x01])
    }

    @Test("ERSPAN III: 0x22EB, version 2, timestamp in 100 µs units, P=1 FT=0, hw id, direction")
    func erspanTypeIII() throws {
        var erspan = try ERSPANTypeIIIEncapsulator(sessionID: 200, hardwareID: 5, firstSequenceNumber: 1)
        let bytes = encapsulated(&erspan, info: MirroredFrameInfo(timestamp: Self.capture, direction: .egress))
        #expect(Array(bytes[0..<20]) == [0x10, 0x00, 0x22, 0xEB, 0, 0, 0, 1,
                                         0x20, 0x00, 0x08, 0xC8,  // Ver=2, VLAN 0, COS 0, BSO=01 (short), T 0, session 200
                                         0x1E, 0xF6, 0x14, 0xD2,  // 1_700_000_000_123_456_789 ns / 100 µs, mod 2^32
                                         0x00, 0x00, 0x80, 0x58]) // SGT 0 | P=1 FT=0 HwID=5 D=1 Gra=00 O=0
        #expect(Array(bytes[20...]) == Self.frame)
        #expect(erspan.headerLength == 20)
    }

    @Test("ERSPAN III: 100 ns granularity and IEEE 1588 with the platform sub-header")
    func erspanTypeIIIGranularity() throws {
        var fine = try ERSPANTypeIIIEncapsulator(sessionID: 3, granularity: .hundredNanoseconds)
        let fineBytes = encapsulated(&fine, info: MirroredFrameInfo(timestamp: Self.capture))
        #expect(Array(fineBytes[12..<20]) == [0xF1, 0x41, 0x56, 0x87, 0x00, 0x00, 0x80, 0x02])

        var ptp = try ERSPANTypeIIIEncapsulator(sessionID: 3, granularity: .ieee1588, portIndex: 7)
        let ptpBytes = encapsulated(&ptp, info: MirroredFrameInfo(timestamp: Self.capture))
        #expect(ptp.headerLength == 28)
        #expect(Array(ptpBytes[12..<28]) == [0x07, 0x5B, 0xCD, 0x15,  // nanoseconds within the second
                                            0x00, 0x00, 0x80, 0x05,  // Gra=10, O=1
                                            0x0C, 0x00, 0x00, 0x07,  // Platf ID 3, port index 7
                                            0x65, 0x53, 0xF1, 0x00]) // seconds since the epoch
        #expect(Array(ptpBytes[28...]) == Self.frame)
    }

    @Test("VXLAN: I flag and the 24-bit VNI (RFC 7348)")
    func vxlan() throws {
        var vxlan = try VXLANEncapsulator(vni: 0x123456)
        let bytes = encapsulated(&vxlan)
        #expect(Array(bytes[0..<8]) == [0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0])
        #expect(Array(bytes[8...]) == Self.frame)
        #expect(vxlan.transport == .udp(destinationPort: 4789))
    }

    @Test("GRE-TEB: 0x6558, with and without key and sequence number (RFC 2784, RFC 2890)")
    func greTransparentEthernet() {
        var plain = GRETransparentEthernetEncapsulator()
        #expect(Array(encapsulated(&plain)[0..<4]) == [0x00, 0x00, 0x65, 0x58])
        var keyed = GRETransparentEthernetEncapsulator(key: 0xDEAD_BEEF)
        let keyedBytes = encapsulated(&keyed)
        #expect(Array(keyedBytes[0..<8]) == [0x20, 0x00, 0x65, 0x58, 0xDE, 0xAD, 0xBE, 0xEF])
        #expect(Array(keyedBytes[8...]) == Self.frame)
        var sequenced = GRETransparentEthernetEncapsulator(key: 42, sequenced: true, firstSequenceNumber: 5)
        #expect(Array(encapsulated(&sequenced)[0..<12]) == [0x30, 0x00, 0x65, 0x58, 0, 0, 0, 42, 0, 0, 0, 5])
        #expect(sequenced.headerLength == 12 && sequenced.sequenceNumber == 6)
    }

    @Test("out-of-range configuration is a typed error naming the field")
    func ranges() {
        #expect(throws: EncapsulationError(field: "ERSPAN session id", value: 1024, maximum: 1023)) {
            try ERSPANTypeIIEncapsulator(sessionID: 1024)
        }
        #expect(throws: EncapsulationError(field: "VXLAN VNI", value: 1 << 24, maximum: 0xFF_FFFF)) {
            try VXLANEncapsulator(vni: 1 << 24)
        }
        #expect(throws: EncapsulationError.self) { try ERSPANTypeIIIEncapsulator(sessionID: 1, hardwareID: 64) }
    }

    @Test("appending reuses the buffer's capacity: no reallocation per packet")
    func reuse() throws {
        var erspan = try ERSPANTypeIIEncapsulator(sessionID: 1)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(2048)
        let address = buffer.withUnsafeBufferPointer { $0.baseAddress }
        for _ in 0..<1000 {
            buffer.removeAll(keepingCapacity: true)
            erspan.encapsulate(Self.frame, into: &buffer)
        }
        #expect(buffer.withUnsafeBufferPointer { $0.baseAddress } == address)
        #expect(buffer.count == 16 + Self.frame.count)
    }

    @Test("writing into caller-owned memory gives the same bytes as appending; too small is an error")
    func rawBuffers() throws {
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 8)
        defer { output.deallocate() }
        let info = MirroredFrameInfo(timestamp: Self.capture, direction: .egress)
        func same<E: PacketEncapsulator>(_ prototype: E) throws {
            var appending = prototype, writing = prototype
            var expected: [UInt8] = []
            appending.encapsulate(Self.frame, info: info, into: &expected)
            let length = try Self.frame.withUnsafeBytes { try writing.encapsulate($0, info: info, into: output) }
            #expect(Array(output[0..<length]) == expected, "\(E.self)")
            #expect(throws: EncapsulationError.self) {
                try Self.frame.withUnsafeBytes { try writing.encapsulate($0, info: info, into: UnsafeMutableRawBufferPointer(rebasing: output[0..<20])) }
            }
            var builder = OuterFrameBuilder(sourceMAC: MACAddress(2, 0, 0, 0, 0, 1), destinationMAC: MACAddress(2, 0, 0, 0, 0, 2),
                                            source: IPv4Address(192, 0, 2, 1), destination: IPv4Address(192, 0, 2, 9))
            var rawBuilder = builder
            var frameBytes: [UInt8] = []
            var arrayEncapsulator = prototype, rawEncapsulator = prototype
            try builder.build(Self.frame, with: &arrayEncapsulator, info: info, into: &frameBytes)
            let frameLength = try Self.frame.withUnsafeBytes { try rawBuilder.build($0, with: &rawEncapsulator, info: info, into: output) }
            #expect(Array(output[0..<frameLength]) == frameBytes, "\(E.self) outer frame")
        }
        try same(ERSPANTypeIIEncapsulator(sessionID: 5, index: 9))
        try same(ERSPANTypeIIIEncapsulator(sessionID: 6, granularity: .ieee1588))
        try same(VXLANEncapsulator(vni: 77))
        try same(GRETransparentEthernetEncapsulator(key: 1, sequenced: true))
    }

    @Test("outer Ethernet + IPv4 (+ UDP) frame: lengths, protocol, checksum")
    func outerFrame() throws {
        var builder = OuterFrameBuilder(sourceMAC: MACAddress(0x02, 0, 0, 0, 0, 1), destinationMAC: MACAddress("02:00:00:00:00:02")!,
                                        source: IPv4Address(192, 0, 2, 1), destination: IPv4Address("192.0.2.9")!, dscp: 10)
        var gre = GRETransparentEthernetEncapsulator(key: 1)
        var buffer: [UInt8] = []
        try builder.build(Self.frame, with: &gre, into: &buffer)
        #expect(Array(buffer[0..<14]) == [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00])
        let ip = Array(buffer[14..<34])
        #expect(ip[0] == 0x45 && ip[1] == 10 << 2 && ip[9] == 47 && ip[8] == 64)
        #expect(Int(ip[2]) << 8 | Int(ip[3]) == 20 + 8 + Self.frame.count)
        #expect(Array(ip[6..<8]) == [0x40, 0x00])  // don't fragment
        #expect(Array(ip[12..<20]) == [192, 0, 2, 1, 192, 0, 2, 9])
        #expect(InternetChecksum.compute(ip) == 0)
        #expect(Array(buffer[34...]) == [0x20, 0x00, 0x65, 0x58, 0, 0, 0, 1] + Self.frame)

        var vxlan = try VXLANEncapsulator(vni: 7)
        var udpFrame: [UInt8] = []
        try builder.build(Self.frame, with: &vxlan, into: &udpFrame)
        let udpIP = Array(udpFrame[14..<34])
        #expect(udpIP[9] == 17 && InternetChecksum.compute(udpIP) == 0)
        #expect(Int(udpIP[4]) << 8 | Int(udpIP[5]) == 2)  // identification counts frames
        let udp = Array(udpFrame[34..<42])
        #expect(Int(udp[0]) << 8 | Int(udp[1]) >= 49152)
        #expect(Array(udp[2..<8]) == [0x12, 0xB5, UInt8((8 + 8 + Self.frame.count) >> 8), UInt8((8 + 8 + Self.frame.count) & 0xff), 0, 0])
        // The hashed source port is stable per flow.
        var again: [UInt8] = []
        try builder.build(Self.frame, with: &vxlan, into: &again)
        #expect(Array(again[34..<36]) == Array(udp[0..<2]))
    }
}
