import TapsterCore

/// A tap flow's `vlan_filter`: VLAN ids and ranges such as `189,279,999-1008`, each 1–4094, in
/// the syntax of Neutron's regex `^([0-9]+(-[0-9]+)?)(,([0-9]+(-[0-9]+)?))*$`.
///
/// It becomes a BPF expression on the frame's outer 802.1Q/802.1ad tag:
/// `vlan and (ether[14:2] & 0xfff = 189 or … or (ether[14:2] & 0xfff >= 999 and ether[14:2] & 0xfff <= 1008))`.
/// (Not `vlan 189 or vlan 279`: each `vlan` keyword moves libpcap's offsets past one more tag,
/// so the second would test an inner tag.)
struct NeutronVLANFilter: Equatable, Sendable {
    /// The text as given, which the API shows back.
    let text: String
    let ranges: [ClosedRange<Int>]

    init(parsing text: String) throws(TapsterError) {
        var ranges: [ClosedRange<Int>] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let ends = item.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(ends.count), ends.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else {
                throw Self.invalid(text, "use VLAN ids and ranges such as 189,279,999-1008")
            }
            guard let low = Int(ends[0]), let high = Int(ends[ends.count - 1]), (1...4094).contains(low), (1...4094).contains(high) else {
                throw Self.invalid(text, "VLAN ids are 1–4094")
            }
            guard low <= high else { throw Self.invalid(text, "the range \(item) runs backwards") }
            ranges.append(low...high)
        }
        self.text = text
        self.ranges = ranges
    }

    private static func invalid(_ text: String, _ why: String) -> TapsterError {
        TapsterError.invalid("vlan_filter", "\"\(text)\" is not a VLAN filter: \(why)")
    }

    /// The BPF expression selecting frames whose outer VLAN id is in the filter.
    var bpf: String {
        let id = "ether[14:2] & 0xfff"
        let tests = ranges.map { range in
            range.count == 1 ? "\(id) = \(range.lowerBound)" : "(\(id) >= \(range.lowerBound) and \(id) <= \(range.upperBound))"
        }
        return "vlan and (\(tests.joined(separator: " or ")))"
    }
}
