import ArgumentParser
import TapsterClient
import TapsterCore

/// Flag values parsed with the domain's own parsers, so the CLI accepts exactly what the API
/// does; a bad value is a usage error that quotes the parser's message.
enum Parse {
    static func duration(_ text: String) throws -> TapDuration { try wrap { () throws(TapsterError) in try TapDuration(parsing: text) } }
    static func payload(_ text: String) throws -> Payload { try wrap { () throws(TapsterError) in try Payload(parsing: text) } }
    static func bandwidth(_ text: String) throws -> BandwidthCap { try wrap { () throws(TapsterError) in try BandwidthCap(parsing: text) } }
    static func address(_ text: String) throws -> IPAddress { try wrap { () throws(TapsterError) in try IPAddress(parsing: text) } }
    static func selector(_ text: String) throws -> LabelSelector { try wrap { () throws(TapsterError) in try LabelSelector(parsing: text) } }
    static func rule(_ text: String) throws -> FlowRule { try wrap { () throws(TapsterError) in try FlagSyntax.flowRule(text) } }
    static func interface(_ text: String) throws -> WorkloadInterface { try wrap { () throws(TapsterError) in try FlagSyntax.interface(text) } }
    static func byteCount(_ text: String) throws -> ByteCount { try wrap { () throws(TapsterError) in try ByteCount(parsing: text, field: "size") } }
    static func label(_ text: String) throws -> Label { try wrap { () throws(TapsterError) in Label(try FlagSyntax.label(text)) } }

    static func wrap<T>(_ parse: () throws(TapsterError) -> T) throws -> T {
        do { return try parse() } catch { throw ValidationError(error.message) }
    }
}

/// A `key=value` label from `--label`.
struct Label {
    var key: String
    var value: String
    init(_ pair: (key: String, value: String)) {
        key = pair.key
        value = pair.value
    }
}

extension TargetKind: ExpressibleByArgument {}
extension Direction: ExpressibleByArgument {}
extension Role: ExpressibleByArgument {}
extension WorkloadKind: ExpressibleByArgument {}
extension TapState: ExpressibleByArgument {}
