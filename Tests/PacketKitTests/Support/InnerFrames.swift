import PacketKit

/// Known inner frames for the encapsulation and pcapng tests.
enum InnerFrames {
    static let webMAC: [UInt8] = [0x02, 0x42, 0x0a, 0x00, 0x00, 0x02]
    static let dbMAC: [UInt8] = [0x02, 0x42, 0x0a, 0x00, 0x00, 0x03]
    static let web: [UInt8] = [10, 0, 0, 2]
    static let db: [UInt8] = [10, 0, 0, 3]

    /// Ethernet + IPv4 + TCP SYN from web (10.0.0.2:43210) to db (10.0.0.3:5432), with a valid IP checksum.
    static func tcpSyn(sourcePort: UInt16 = 43210, destinationPort: UInt16 = 5432, vlan: UInt16? = nil) -> [UInt8] {
        var frame = dbMAC + webMAC
        if let vlan { frame += [0x81, 0x00, UInt8(vlan >> 8), UInt8(vlan & 0xff)] }
        frame += [0x08, 0x00]
        var ip: [UInt8] = [0x45, 0, 0, 40, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0] + web + db
        let checksum = InternetChecksum.compute(ip)
        ip[10] = UInt8(checksum >> 8)
        ip[11] = UInt8(checksum & 0xff)
        let tcp: [UInt8] = [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xff),
                            0, 0, 0x10, 0, 0, 0, 0, 0, 0x50, 0x02, 0xfa, 0xf0, 0, 0, 0, 0]
        return frame + ip + tcp
    }
}
