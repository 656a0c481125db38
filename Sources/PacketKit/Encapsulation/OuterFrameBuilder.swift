/// Builds whole outer frames — Ethernet + IPv4 (+ UDP for VXLAN) + an encapsulator's payload — for tests
/// that write mirrored traffic into capture files and for sending on a raw (`AF_PACKET`) socket.
///
/// The agent normally sends only the payload (raw IP socket for GRE, UDP socket for VXLAN) and lets the
/// kernel add the outer headers; this builder does the kernel's part: IPv4 header with total length,
/// identification, TTL, DSCP, don't-fragment and header checksum; UDP header with length and a zero
/// checksum (allowed over IPv4 and recommended by RFC 7348 §5); a UDP source port hashed from the inner
/// frame's addresses and ports (RFC 7348 §5) unless fixed.
///
/// Per packet, nothing allocates: the raw-buffer ``build(_:with:info:into:)`` variant writes headers with
/// plain stores; the array variant builds them on the stack and appends them to a reused buffer.
public struct OuterFrameBuilder: Hashable, Sendable {
    /// The outer Ethernet source.
    public var sourceMAC: MACAddress
    /// The outer Ethernet destination (the next hop towards the tool).
    public var destinationMAC: MACAddress
    /// The tunnel's source address.
    public var source: IPv4Address
    /// The tool's address.
    public var destination: IPv4Address
    /// The outer time to live.
    public var timeToLive: UInt8
    /// The outer DSCP (6 bits).
    public var dscp: UInt8
    /// A fixed UDP source port for UDP transports, or nil to hash it from the inner frame (49152–65535).
    public var udpSourcePort: UInt16?
    /// The IPv4 identification the next frame gets.
    public private(set) var identification: UInt16

    /// 14 bytes.
    public static let ethernetHeaderLength = 14
    /// 20 bytes (no IPv4 options).
    public static let ipv4HeaderLength = 20
    /// 8 bytes.
    public static let udpHeaderLength = 8

    /// Configures the outer headers.
    public init(sourceMAC: MACAddress, destinationMAC: MACAddress, source: IPv4Address, destination: IPv4Address,
                timeToLive: UInt8 = 64, dscp: UInt8 = 0, udpSourcePort: UInt16? = nil, firstIdentification: UInt16 = 1) {
        self.sourceMAC = sourceMAC
        self.destinationMAC = destinationMAC
        self.source = source
        self.destination = destination
        self.timeToLive = timeToLive
        self.dscp = dscp
        self.udpSourcePort = udpSourcePort
        self.identification = firstIdentification
    }

    /// How many bytes the outer headers take for `transport`: 34 for IP, 42 for UDP.
    public static func outerHeaderLength(for transport: EncapsulationTransport) -> Int {
        switch transport {
        case .ip: ethernetHeaderLength + ipv4HeaderLength
        case .udp: ethernetHeaderLength + ipv4HeaderLength + udpHeaderLength
        }
    }

    /// Appends one complete outer frame carrying `frame` encapsulated by `encapsulator`.
    /// - Throws: ``EncapsulationError`` when the IPv4 packet would exceed 65 535 bytes; `buffer` is then unchanged.
    public mutating func build<Encapsulator: PacketEncapsulator>(
        _ frame: UnsafeRawBufferPointer, with encapsulator: inout Encapsulator, info: MirroredFrameInfo = MirroredFrameInfo(),
        into buffer: inout [UInt8]
    ) throws(EncapsulationError) {
        let transport = encapsulator.transport
        let outer = Self.outerHeaderLength(for: transport)
        let ipLength = outer - Self.ethernetHeaderLength + encapsulator.headerLength + frame.count
        guard ipLength <= 0xffff else { throw EncapsulationError(field: "IPv4 total length", value: UInt64(ipLength), maximum: 0xffff) }
        withUnsafeTemporaryAllocation(byteCount: outer, alignment: 8) { headers in
            writeOuterHeaders(into: headers, transport: transport, ipLength: ipLength, frame: frame)
            buffer.appendBytes(UnsafeRawBufferPointer(headers))
        }
        encapsulator.encapsulate(frame, info: info, into: &buffer)
    }

    /// Writes one complete outer frame at the start of `output` and returns its length: the fastest path
    /// (plain stores and one memcpy of the frame).
    /// - Throws: ``EncapsulationError`` when the IPv4 packet would exceed 65 535 bytes or `output` is too small.
    public mutating func build<Encapsulator: PacketEncapsulator>(
        _ frame: UnsafeRawBufferPointer, with encapsulator: inout Encapsulator, info: MirroredFrameInfo = MirroredFrameInfo(),
        into output: UnsafeMutableRawBufferPointer
    ) throws(EncapsulationError) -> Int {
        let transport = encapsulator.transport
        let outer = Self.outerHeaderLength(for: transport)
        let ipLength = outer - Self.ethernetHeaderLength + encapsulator.headerLength + frame.count
        guard ipLength <= 0xffff else { throw EncapsulationError(field: "IPv4 total length", value: UInt64(ipLength), maximum: 0xffff) }
        guard output.count >= Self.ethernetHeaderLength + ipLength else {
            throw EncapsulationError(field: "output buffer", value: UInt64(Self.ethernetHeaderLength + ipLength), maximum: UInt64(output.count))
        }
        writeOuterHeaders(into: output, transport: transport, ipLength: ipLength, frame: frame)
        return try outer + encapsulator.encapsulate(frame, info: info, into: UnsafeMutableRawBufferPointer(rebasing: output[outer...]))
    }

    /// Ethernet, IPv4 (with its checksum) and, for UDP transports, UDP headers for an IP packet of `ipLength` bytes.
    private mutating func writeOuterHeaders(into headers: UnsafeMutableRawBufferPointer, transport: EncapsulationTransport,
                                            ipLength: Int, frame: UnsafeRawBufferPointer) {
        headers.storeBytes(of: (destinationMAC.rawValue << 16).bigEndian, toByteOffset: 0, as: UInt64.self)
        headers.storeBytes(of: (sourceMAC.rawValue << 16 | 0x0800).bigEndian, toByteOffset: 6, as: UInt64.self)
        let protocolNumber: UInt8
        switch transport {
        case .ip(let number): protocolNumber = number
        case .udp: protocolNumber = 17
        }
        let ip = 14
        // Version/IHL, DSCP, total length; identification, don't fragment; TTL, protocol, checksum 0 for now; addresses.
        headers.storeBytes(of: (UInt32(0x45) << 24 | UInt32(dscp & 0x3f) << 18 | UInt32(ipLength)).bigEndian, toByteOffset: ip, as: UInt32.self)
        headers.storeBytes(of: (UInt32(identification) << 16 | 0x4000).bigEndian, toByteOffset: ip + 4, as: UInt32.self)
        headers.storeBytes(of: (UInt32(timeToLive) << 24 | UInt32(protocolNumber) << 16).bigEndian, toByteOffset: ip + 8, as: UInt32.self)
        headers.storeBytes(of: source.rawValue.bigEndian, toByteOffset: ip + 12, as: UInt32.self)
        headers.storeBytes(of: destination.rawValue.bigEndian, toByteOffset: ip + 16, as: UInt32.self)
        let checksum = InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: headers[ip..<ip + Self.ipv4HeaderLength]))
        headers.storeBytes(of: checksum.bigEndian, toByteOffset: ip + 10, as: UInt16.self)
        if case .udp(let destinationPort) = transport {
            let sourcePort = udpSourcePort ?? Self.hashedSourcePort(frame)
            let udp = ip + Self.ipv4HeaderLength
            headers.storeBytes(of: (UInt32(sourcePort) << 16 | UInt32(destinationPort)).bigEndian, toByteOffset: udp, as: UInt32.self)
            // Length; checksum 0 (none), as RFC 7348 recommends over IPv4.
            headers.storeBytes(of: (UInt32(ipLength - Self.ipv4HeaderLength) << 16).bigEndian, toByteOffset: udp + 4, as: UInt32.self)
        }
        identification &+= 1
    }

    /// Builds a frame from an array (convenience for tests; see ``build(_:with:info:into:)``).
    public mutating func build<Encapsulator: PacketEncapsulator>(
        _ frame: [UInt8], with encapsulator: inout Encapsulator, info: MirroredFrameInfo = MirroredFrameInfo(),
        into buffer: inout [UInt8]
    ) throws(EncapsulationError) {
        let outcome: Result<Void, EncapsulationError> = frame.withUnsafeBytes { bytes in
            do throws(EncapsulationError) {
                try build(bytes, with: &encapsulator, info: info, into: &buffer)
                return .success(())
            } catch { return .failure(error) }
        }
        try outcome.get()
    }

    /// A source port in 49152–65535 from an FNV-1a hash of the inner frame's MAC addresses and, for an
    /// untagged IPv4 frame, its addresses, protocol and first four transport bytes (the ports of TCP/UDP):
    /// one flow keeps one port, so ECMP paths do not reorder it.
    static func hashedSourcePort(_ frame: UnsafeRawBufferPointer) -> UInt16 {
        var hash: UInt32 = 2_166_136_261
        @inline(__always) func mix(_ range: Range<Int>) {
            for index in range where index < frame.count {
                hash = (hash ^ UInt32(frame[index])) &* 16_777_619
            }
        }
        mix(0..<12)
        if frame.count >= 34, frame[12] == 0x08, frame[13] == 0x00, frame[14] >> 4 == 4 {
            mix(23..<24)
            mix(26..<34)
            let transport = 14 + Int(frame[14] & 0x0f) * 4
            mix(transport..<transport + 4)
        }
        return 49152 | UInt16(truncatingIfNeeded: hash ^ hash >> 16) & 0x3fff
    }
}
