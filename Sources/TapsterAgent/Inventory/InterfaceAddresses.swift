import Glibc

/// Reads the interfaces of the calling thread's network namespace with getifaddrs(3): names, Ethernet
/// addresses (from the `AF_PACKET` entries) and IPv4/IPv6 addresses. `lo` is left out, and so are the
/// devices of the agent's own in-kernel mirrors (``KernelMirrorNames/isMirrorInterface(_:)``): they are not
/// the workload's.
///
/// getifaddrs asks the kernel over a netlink socket it opens itself, so it sees the namespace the calling
/// thread is in — call it on a dedicated thread that entered the namespace.
enum InterfaceAddresses {
    /// The interfaces of the current thread's namespace, sorted by name.
    static func read() throws(InventoryError) -> [DiscoveredInterface] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { throw InventoryError("reading interfaces (getifaddrs)", errorNumber: errno) }
        defer { freeifaddrs(list) }
        var macs: [String: String] = [:]
        var addresses: [String: [(family: Int32, text: String, bytes: [UInt8])]] = [:]
        var cursor = list
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            let name = String(cString: entry.pointee.ifa_name)
            guard name != "lo", !KernelMirrorNames.isMirrorInterface(name) else { continue }
            if addresses[name] == nil { addresses[name] = [] }
            guard let address = entry.pointee.ifa_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_PACKET:
                if let mac = ethernetAddress(UnsafeRawPointer(address)) { macs[name] = mac }
            case AF_INET:
                let bytes = withUnsafeBytes(of: UnsafeRawPointer(address).load(as: sockaddr_in.self).sin_addr) { Array($0) }
                addresses[name, default: []].append((AF_INET, text(bytes, family: AF_INET), bytes))
            case AF_INET6:
                let bytes = withUnsafeBytes(of: UnsafeRawPointer(address).load(as: sockaddr_in6.self).sin6_addr) { Array($0) }
                addresses[name, default: []].append((AF_INET6, text(bytes, family: AF_INET6), bytes))
            default:
                break
            }
        }
        return addresses.keys.sorted().map { name in
            let ordered = addresses[name, default: []].sorted { a, b in
                a.family != b.family ? a.family == AF_INET : a.bytes.lexicographicallyPrecedes(b.bytes)
            }
            return DiscoveredInterface(name: name, mac: macs[name], ips: ordered.map(\.text))
        }
    }

    /// The 6-byte hardware address of a `sockaddr_ll` (not exposed by Swift's Glibc module: family at 0,
    /// hardware type at 8, address length at 11, address at 12), or nil when it is not a non-zero Ethernet one.
    private static func ethernetAddress(_ sockaddr: UnsafeRawPointer) -> String? {
        let addressLength = sockaddr.load(fromByteOffset: 11, as: UInt8.self)
        guard addressLength == 6 else { return nil }
        let octets = (0..<6).map { sockaddr.load(fromByteOffset: 12 + $0, as: UInt8.self) }
        guard octets.contains(where: { $0 != 0 }) else { return nil }
        return octets.map { octet in
            let digits = String(octet, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: ":")
    }

    private static func text(_ bytes: [UInt8], family: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let ok = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) != nil }
        guard ok else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
