public import CPcap
import Synchronization

/// One classic BPF instruction, laid out like libpcap's `struct bpf_insn`.
public struct BPFInstruction: Hashable, Sendable, CustomStringConvertible {
    /// The opcode: instruction class, size, mode and source bits (`BPF_LD | BPF_H | BPF_ABS`, …).
    public var code: UInt16
    /// Jump offset when a conditional jump's test holds.
    public var jt: UInt8
    /// Jump offset when a conditional jump's test fails.
    public var jf: UInt8
    /// The generic field: a constant, an offset or a return value, depending on ``code``.
    public var k: UInt32

    /// Builds an instruction from its four fields.
    public init(code: UInt16, jt: UInt8, jf: UInt8, k: UInt32) {
        self.code = code
        self.jt = jt
        self.jf = jf
        self.k = k
    }

    init(_ insn: bpf_insn) {
        self.init(code: insn.code, jt: insn.jt, jf: insn.jf, k: insn.k)
    }

    var cValue: bpf_insn { bpf_insn(code: code, jt: jt, jf: jf, k: k) }

    /// `{ 0x28, 0, 0, 0x0000000c }`, the form `tcpdump -dd` prints.
    public var description: String {
        "{ 0x\(String(code, radix: 16)), \(jt), \(jf), 0x\(hex8(k)) }"
    }
}

private func hex8(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 8 - digits.count) + digits
}

/// Why libpcap refused to compile a filter expression.
public struct BPFCompileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// libpcap's own text from `pcap_geterr`, e.g. `can't parse filter expression: syntax error`
    /// or `unknown host 'foo'` — the same words `tcpdump` prints after `tcpdump: `.
    public let message: String
    /// The expression that failed.
    public let expression: String

    /// Wraps libpcap's message for `expression`.
    public init(message: String, expression: String) {
        self.message = message
        self.expression = expression
    }

    /// The same as ``message``.
    public var description: String { message }
}

/// A compiled classic BPF program: what libpcap's `pcap_compile` makes of a filter expression
/// (tcpdump's language) for one link type and snapshot length.
///
/// A value type: the instructions are copied out of libpcap and its memory is freed at once, so
/// programs are `Sendable`, comparable, and cheap to keep. Compiling is thread-safe — each call
/// uses its own `pcap_open_dead` handle.
///
/// ```swift
/// let program = try BPFProgram.compile("tcp port 5432")
/// program.instructions.count   // 20, as `tcpdump -d 'tcp port 5432' | wc -l`
/// ```
public struct BPFProgram: Hashable, Sendable {
    /// The instructions, in order; the same number as lines of `tcpdump -d`.
    public let instructions: [BPFInstruction]
    /// The link type the program was compiled for: it reads headers at that framing's offsets.
    public let linkType: LinkType
    /// The snapshot length the program was compiled for; accepting instructions return it.
    public let snaplen: Int32

    /// Wraps instructions obtained elsewhere (e.g. a stored program).
    public init(instructions: [BPFInstruction], linkType: LinkType = .ethernet, snaplen: Int32 = BPFProgram.defaultSnaplen) {
        self.instructions = instructions
        self.linkType = linkType
        self.snaplen = snaplen
    }

    /// tcpdump's and libpcap's default snapshot length.
    public static let defaultSnaplen: Int32 = 262_144

    /// Compiles a filter expression with libpcap.
    ///
    /// - Parameters:
    ///   - expression: tcpdump's filter language (`tcp port 5432`, `host 10.0.0.1 and not port 22`).
    ///     An empty or all-blank expression accepts every packet.
    ///   - linkType: the framing of the packets the program will see.
    ///   - snaplen: how many bytes of a packet an accepting program keeps.
    ///   - optimize: run libpcap's optimizer, as tcpdump does unless given `-O`.
    /// - Throws: ``BPFCompileError`` carrying libpcap's message.
    public static func compile(
        _ expression: String,
        linkType: LinkType = .ethernet,
        snaplen: Int32 = BPFProgram.defaultSnaplen,
        optimize: Bool = true
    ) throws(BPFCompileError) -> BPFProgram {
        guard let handle = pcap_open_dead(linkType.rawValue, snaplen) else {
            throw BPFCompileError(message: "pcap_open_dead failed for link type \(linkType) and snaplen \(snaplen)", expression: expression)
        }
        defer { pcap_close(handle) }

        var program = bpf_program()
        let status = pcap_compile(handle, &program, expression, optimize ? 1 : 0, PCAP_NETMASK_UNKNOWN)
        guard status == 0 else {
            let message = pcap_geterr(handle).map { String(cString: $0) } ?? "pcap_compile failed"
            throw BPFCompileError(message: message, expression: expression)
        }
        defer { pcap_freecode(&program) }

        let instructions = UnsafeBufferPointer(start: program.bf_insns, count: Int(program.bf_len)).map(BPFInstruction.init)
        return BPFProgram(instructions: instructions, linkType: linkType, snaplen: snaplen)
    }

    /// Whether the program accepts every packet whole (a single `ret #snaplen`), as an empty expression compiles to.
    public var acceptsAll: Bool {
        instructions.count == 1 && instructions[0].code == UInt16(BPF_RET | BPF_K) && instructions[0].k >= UInt32(snaplen)
    }

    /// Runs the program over one packet with libpcap's interpreter (`bpf_filter`).
    ///
    /// - Parameters:
    ///   - packet: the captured bytes, starting at the link-layer header of ``linkType``.
    ///   - wireLength: the packet's length on the wire; defaults to `packet.count`.
    /// - Returns: how many bytes to keep: 0 rejects the packet.
    public func filter(_ packet: [UInt8], wireLength: Int? = nil) -> Int {
        let insns = instructions.map(\.cValue)
        return insns.withUnsafeBufferPointer { code in
            packet.withUnsafeBufferPointer { bytes in
                Int(bpf_filter(code.baseAddress, bytes.baseAddress, UInt32(wireLength ?? bytes.count), UInt32(bytes.count)))
            }
        }
    }

    /// Whether the program accepts the packet (see ``filter(_:wireLength:)``).
    public func matches(_ packet: [UInt8], wireLength: Int? = nil) -> Bool {
        filter(packet, wireLength: wireLength) != 0
    }

    /// Lends the program as libpcap's `struct bpf_program`, e.g. for `pcap_setfilter`.
    /// The pointer is valid only inside `body`.
    public func withUnsafeBPFProgram<Value, Failure: Error>(
        _ body: (UnsafePointer<bpf_program>) throws(Failure) -> Value
    ) throws(Failure) -> Value {
        var insns = instructions.map(\.cValue)
        let count = UInt32(insns.count)
        let outcome: Result<Value, Failure> = insns.withUnsafeMutableBufferPointer { buffer in
            var program = bpf_program(bf_len: count, bf_insns: buffer.baseAddress)
            return withUnsafePointer(to: &program) { pointer in
                do throws(Failure) { return .success(try body(pointer)) } catch { return .failure(error) }
            }
        }
        return try outcome.get()
    }

    /// The program in tcpdump's `-d` notation, one instruction per line
    /// (`(000) ldh      [12]`), as printed by libpcap's `bpf_image`.
    public var disassembly: [String] {
        imageLock.withLock { _ in
            instructions.enumerated().map { index, instruction in
                var insn = instruction.cValue
                return String(cString: bpf_image(&insn, Int32(index)))
            }
        }
    }
}

/// `bpf_image` formats into a static buffer; serialise its callers.
private let imageLock = Mutex(())
