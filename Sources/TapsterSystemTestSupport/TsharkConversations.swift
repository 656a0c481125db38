import Foundation

/// What `tshark -q -z conv,tcp` / `-z conv,udp` computes from a capture file: per conversation, the frames and
/// bytes each way — the reference that flow records are compared with.
public struct TsharkConversation: Sendable, Hashable, CustomStringConvertible {
    /// `10.0.0.2:43210`, as tshark prints it (A is the side it saw first).
    public var a: String
    public var b: String
    public var framesAToB: UInt64
    public var bytesAToB: UInt64
    public var framesBToA: UInt64
    public var bytesBToA: UInt64

    public var description: String { "\(a) -> \(b): \(framesAToB) frames \(bytesAToB) B, back \(framesBToA) frames \(bytesBToA) B" }

    /// Reads the conversations of `kind` (`tcp` or `udp`) in `file`. Byte counts must be printed as bytes:
    /// tshark rounds larger totals to kB, which would prove nothing — keep test conversations small.
    public static func read(_ file: URL, kind: String) throws -> [TsharkConversation] {
        let output = try WiresharkTools.run("tshark", ["-r", file.path, "-n", "-q", "-z", "conv,\(kind)"])
        return try output.lines.compactMap { line -> TsharkConversation? in
            guard line.contains("<->") else { return nil }
            let words = line.split(separator: " ").map(String.init)
            // A <-> B  framesBA bytesBA "bytes"  framesAB bytesAB "bytes"  …
            guard words.count >= 9, words[1] == "<->" else { return nil }
            guard words[5] == "bytes", words[8] == "bytes" else {
                throw WiresharkTools.Complaint(tool: "tshark -z conv (byte counts rounded; send less): \(line)", output: output)
            }
            guard let framesBA = UInt64(words[3]), let bytesBA = UInt64(words[4]), let framesAB = UInt64(words[6]),
                  let bytesAB = UInt64(words[7]) else { return nil }
            return TsharkConversation(a: words[0], b: words[2], framesAToB: framesAB, bytesAToB: bytesAB, framesBToA: framesBA,
                                      bytesBToA: bytesBA)
        }
    }
}
