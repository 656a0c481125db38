/// Percent-encoding as AWS Signature Version 4 defines it: every byte except `A-Z a-z 0-9 - . _ ~` becomes
/// `%XX` (upper-case hex); `/` is kept in paths and encoded in query components.
public enum AWSURIEncoding {
    /// `string` encoded for a query component (name or value).
    public static func query(_ string: String) -> String {
        encode(string, keepingSlash: false)
    }

    /// `string` encoded as a path, keeping its `/`s.
    public static func path(_ string: String) -> String {
        encode(string, keepingSlash: true)
    }

    private static let hex = Array("0123456789ABCDEF".utf8)

    private static func encode(_ string: String, keepingSlash: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepingSlash:
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
