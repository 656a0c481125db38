import Foundation
import TapsterCore

/// The CLI's compact syntaxes for structured flag values.
public enum FlagSyntax {
    /// `--rule 'tcp,net=10.0.0.0/8,port=5432'`: a protocol (bare, or `proto=`), `net=` a CIDR
    /// or address, `port=` a port or range `low-high`; at least one of them.
    public static func flowRule(_ text: String) throws(TapsterError) -> FlowRule {
        var rule = FlowRule()
        for part in try parts(text, flag: "rule") {
            switch part {
            case (nil, let word), ("proto", let word), ("protocol", let word):
                guard let proto = FlowProtocol(rawValue: word.lowercased()) else {
                    throw TapsterError.invalid("rule", "\"\(word)\" is not a protocol (\(FlowProtocol.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                rule.protocol = proto
            case ("net", let value), ("host", let value):
                rule.net = try CIDR(parsing: value)
            case ("port", let value):
                _ = try FlowRule.portRange(value)
                rule.port = value
            case (let key?, _):
                throw TapsterError.invalid("rule", "unknown key \"\(key)\" in \"\(text)\": use tcp|udp|…, net=CIDR, port=N or port=LOW-HIGH")
            }
        }
        _ = try rule.bpf()
        return rule
    }

    /// `--interface 'eth0,mac=02:42:ac:11:00:02,ip=10.0.0.2,ip=fd00::2[,id=UUID]'`: a name, then settings.
    public static func interface(_ text: String) throws(TapsterError) -> WorkloadInterface {
        let items = try parts(text, flag: "interface")
        guard case (nil, let name)? = items.first else {
            throw TapsterError.invalid("interface", "\"\(text)\" must start with the interface name, e.g. eth0,ip=10.0.0.2")
        }
        var interface = WorkloadInterface(name: name)
        for item in items.dropFirst() {
            switch item {
            case ("mac", let mac): interface.mac = mac
            case ("ip", let ip): interface.ips.append(try IPAddress(parsing: ip))
            case ("id", let id):
                guard Identifier.isIdentifier(id) else { throw TapsterError.invalid("interface", "\"\(id)\" is not an interface id (a UUID)") }
                interface.id = id.lowercased()
            default:
                throw TapsterError.invalid("interface", "\"\(item.1)\" in \"\(text)\": use NAME,mac=MAC,ip=IP[,ip=IP…][,id=UUID]")
            }
        }
        return interface
    }

    /// `--label app=web`.
    public static func label(_ text: String) throws(TapsterError) -> (key: String, value: String) {
        guard let equals = text.firstIndex(of: "=") else {
            throw TapsterError.invalid("label", "\"\(text)\" is not key=value")
        }
        let key = String(text[..<equals]), value = String(text[text.index(after: equals)...])
        try LabelSelector.validateKey(key, field: "label")
        try LabelSelector.validateValue(value, field: "label")
        return (key, value)
    }

    /// `a,k=v,…` split into (key, value) pairs; a bare word has no key.
    private static func parts(_ text: String, flag: String) throws(TapsterError) -> [(String?, String)] {
        var result: [(String?, String)] = []
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = raw.trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty else { throw TapsterError.invalid(flag, "empty item in \"\(text)\"") }
            if let equals = item.firstIndex(of: "=") {
                let key = item[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
                let value = item[item.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                guard !value.isEmpty else { throw TapsterError.invalid(flag, "\"\(key)=\" has no value in \"\(text)\"") }
                result.append((key, value))
            } else {
                result.append((nil, item))
            }
        }
        return result
    }
}
