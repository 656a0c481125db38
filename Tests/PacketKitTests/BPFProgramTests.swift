import CPcap
import Foundation
import PacketKit
import Testing

/// Runs the system's `tcpdump -d`, the reference for what libpcap compiles.
enum Tcpdump {
    static let path: String? = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump", "/usr/local/bin/tcpdump", "/usr/local/sbin/tcpdump"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    static var available: Bool { path != nil }

    /// `tcpdump -d [-y DLT] [-O] [-s N] EXPR`: the listing lines, or libpcap's error (stderr without `tcpdump: `).
    static func compile(_ expression: String, linkType: String? = nil, optimize: Bool = true, snaplen: Int32? = nil) throws
        -> (lines: [String], error: String?)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path!)
        var arguments = ["-d"]
        if let linkType { arguments += ["-y", linkType] }
        if !optimize { arguments.append("-O") }
        if let snaplen { arguments += ["-s", String(snaplen)] }
        process.arguments = arguments + [expression]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        guard process.terminationStatus == 0 else {
            let message = String(decoding: stderr, as: UTF8.self).split(separator: "\n")
                .last { $0.hasPrefix("tcpdump: ") }
                .map { String($0.dropFirst("tcpdump: ".count)) }
            return (lines, message ?? "tcpdump exited with \(process.terminationStatus)")
        }
        return (lines, nil)
    }
}

/// An Ethernet + IPv4 + TCP (or UDP) packet with the given ports, for running programs over.
func ipv4Packet(proto: UInt8 = 6, sourcePort: UInt16 = 40000, destinationPort: UInt16 = 5432,
                source: [UInt8] = [10, 0, 0, 2], destination: [UInt8] = [10, 0, 0, 1]) -> [UInt8] {
    let ethernet: [UInt8] = [0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00]
    let l4Length = proto == 6 ? 20 : 8
    let totalLength = UInt16(20 + l4Length)
    var ip: [UInt8] = [0x45, 0, UInt8(totalLength >> 8), UInt8(totalLength & 0xff), 0, 1, 0x40, 0, 64, proto, 0, 0]
    ip += source + destination
    var l4: [UInt8] = [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xff)]
    if proto == 6 {
        l4 += [0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]
    } else {
        l4 += [0, 8, 0, 0]
    }
    return ethernet + ip + l4
}

@Suite("BPF compilation")
struct BPFProgramTests {
    static let validExpressions = [
        "tcp port 5432",
        "host 10.0.0.1 and not port 22",
        "vlan and udp",
        "tcp[tcpflags] & tcp-syn != 0",
        "net 192.168.0.0/16 and (udp port 53 or tcp portrange 8000-8080)",
        "ip6 and icmp6",
        "ether host 02:42:ac:11:00:02",
    ]

    static let invalidExpressions = [
        "tcp port",
        "tcp and",
        "port 99999",
        "net 10.0.0.0/33",
        "ether host zz",
        "udp port no-such-service",
        "ip6 and tcp[13] & 2 != 0",
    ]

    @Test("valid expressions compile", arguments: validExpressions)
    func validCompiles(expression: String) throws {
        let program = try BPFProgram.compile(expression)
        #expect(program.instructions.count > 1)
        #expect(program.linkType == .ethernet)
        #expect(program.snaplen == 262_144)
        #expect(!program.acceptsAll)
        let last = try #require(program.instructions.last)
        #expect(last.code == UInt16(BPF_RET | BPF_K))
    }

    @Test("`tcp port 5432` has as many instructions as `tcpdump -d` prints")
    func tcpPortInstructionCount() throws {
        let program = try BPFProgram.compile("tcp port 5432")
        // What `tcpdump -d 'tcp port 5432' | wc -l` prints with libpcap 1.10.
        #expect(program.instructions.count == 20)
        if Tcpdump.available {
            let reference = try Tcpdump.compile("tcp port 5432")
            #expect(reference.error == nil)
            #expect(program.instructions.count == reference.lines.count)
        }
    }

    @Test("the same program as `tcpdump -d`, line for line", .enabled(if: Tcpdump.available, "tcpdump is not installed"),
          arguments: validExpressions)
    func sameAsTcpdump(expression: String) throws {
        let program = try BPFProgram.compile(expression)
        let reference = try Tcpdump.compile(expression)
        #expect(reference.error == nil)
        #expect(program.disassembly == reference.lines)
    }

    @Test("link types change the program as they do for `tcpdump -y`", .enabled(if: Tcpdump.available, "tcpdump is not installed"),
          arguments: [(LinkType.ethernet, "EN10MB"), (.raw, "RAW"), (.linuxSLL, "LINUX_SLL"), (.linuxSLL2, "LINUX_SLL2")])
    func linkTypes(linkType: LinkType, name: String) throws {
        #expect(linkType.name == name)
        let program = try BPFProgram.compile("tcp port 5432", linkType: linkType)
        #expect(program.linkType == linkType)
        let reference = try Tcpdump.compile("tcp port 5432", linkType: name)
        #expect(reference.error == nil)
        #expect(program.disassembly == reference.lines)
    }

    @Test("link types differ in where headers are")
    func linkTypesDiffer() throws {
        let ethernet = try BPFProgram.compile("tcp", linkType: .ethernet)
        let raw = try BPFProgram.compile("tcp", linkType: .raw)
        let sll = try BPFProgram.compile("tcp", linkType: .linuxSLL)
        #expect(ethernet != raw)
        #expect(ethernet != sll)
        #expect(raw != sll)
        #expect(LinkType.ethernet.rawValue == 1)
        #expect(LinkType.linuxSLL.rawValue == 113)
        #expect(LinkType(rawValue: 9999).name == "DLT_9999")
        #expect(LinkType(rawValue: 12) == .raw)
    }

    @Test("invalid expressions throw libpcap's message", arguments: invalidExpressions)
    func invalidThrows(expression: String) throws {
        let error = try #require(throws: BPFCompileError.self) { try BPFProgram.compile(expression) }
        #expect(error.expression == expression)
        #expect(!error.message.isEmpty)
        #expect(error.description == error.message)
        if Tcpdump.available {
            let reference = try Tcpdump.compile(expression)
            #expect(reference.error == error.message)
        }
    }

    @Test("libpcap's words for the common mistakes")
    func knownMessages() {
        func message(_ expression: String) -> String? {
            do { _ = try BPFProgram.compile(expression); return nil } catch { return error.message }
        }
        #expect(message("tcp port") == "can't parse filter expression: syntax error")
        #expect(message("port 99999") == "illegal port number 99999 > 65535")
        #expect(message("host no-such-host.invalid") == "unknown host 'no-such-host.invalid'")
    }

    @Test("an empty expression compiles to accept-all", arguments: ["", "   ", "\t\n"])
    func emptyAcceptsAll(expression: String) throws {
        let program = try BPFProgram.compile(expression)
        #expect(program.acceptsAll)
        #expect(program.instructions == [BPFInstruction(code: UInt16(BPF_RET | BPF_K), jt: 0, jf: 0, k: 262_144)])
        #expect(program.disassembly == ["(000) ret      #262144"])
        #expect(program.matches(ipv4Packet()))
        #expect(program.filter(ipv4Packet(proto: 17)) == 262_144)
    }

    @Test("the snapshot length is what an accepting program returns")
    func snaplen() throws {
        let program = try BPFProgram.compile("", snaplen: 96)
        #expect(program.snaplen == 96)
        #expect(program.acceptsAll)
        #expect(program.filter(ipv4Packet()) == 96)
        if Tcpdump.available {
            #expect(try Tcpdump.compile("", snaplen: 96).lines == program.disassembly)
        }
    }

    @Test("the optimizer is on by default and can be turned off")
    func optimizer() throws {
        let optimized = try BPFProgram.compile("tcp port 5432")
        let plain = try BPFProgram.compile("tcp port 5432", optimize: false)
        #expect(plain.instructions.count > optimized.instructions.count)
        if Tcpdump.available {
            #expect(try Tcpdump.compile("tcp port 5432", optimize: false).lines == plain.disassembly)
        }
    }

    @Test("programs select the packets their expression describes")
    func matching() throws {
        let postgres = try BPFProgram.compile("tcp port 5432")
        #expect(postgres.matches(ipv4Packet(destinationPort: 5432)))
        #expect(postgres.matches(ipv4Packet(sourcePort: 5432, destinationPort: 40000)))
        #expect(!postgres.matches(ipv4Packet(destinationPort: 5433)))
        #expect(!postgres.matches(ipv4Packet(proto: 17, destinationPort: 5432)))

        let notSSH = try BPFProgram.compile("host 10.0.0.1 and not port 22")
        #expect(notSSH.matches(ipv4Packet(destinationPort: 80)))
        #expect(!notSSH.matches(ipv4Packet(destinationPort: 22)))
        #expect(!notSSH.matches(ipv4Packet(destination: [10, 0, 0, 9])))

        let vlanUDP = try BPFProgram.compile("vlan and udp")
        #expect(!vlanUDP.matches(ipv4Packet(proto: 17)))
    }

    @Test("the program can be lent to libpcap as a struct bpf_program")
    func lendsProgram() throws {
        let program = try BPFProgram.compile("udp")
        let packet = ipv4Packet(proto: 17)
        let accepted = program.withUnsafeBPFProgram { pointer in
            #expect(Int(pointer.pointee.bf_len) == program.instructions.count)
            var header = pcap_pkthdr()
            header.caplen = UInt32(packet.count)
            header.len = UInt32(packet.count)
            return packet.withUnsafeBufferPointer { pcap_offline_filter(pointer, &header, $0.baseAddress) }
        }
        #expect(accepted != 0)
    }

    @Test("instructions read like `tcpdump -dd`")
    func instructionDescription() {
        let instruction = BPFInstruction(code: 0x28, jt: 0, jf: 0, k: 12)
        #expect(instruction.description == "{ 0x28, 0, 0, 0x0000000c }")
    }

    @Test("compiling from many threads at once gives the same programs")
    func concurrentCompilation() async throws {
        let expected = try Dictionary(uniqueKeysWithValues: Self.validExpressions.map { ($0, try BPFProgram.compile($0)) })
        let results = await withTaskGroup(of: (String, BPFProgram?, String?).self) { group in
            for round in 0..<40 {
                for expression in Self.validExpressions + Self.invalidExpressions {
                    group.addTask {
                        do throws(BPFCompileError) {
                            let program = try BPFProgram.compile(expression)
                            return (expression, program, round.isMultiple(of: 2) ? program.disassembly.joined() : nil)
                        } catch {
                            return (expression, nil, error.message)
                        }
                    }
                }
            }
            var all: [(String, BPFProgram?, String?)] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 40 * (Self.validExpressions.count + Self.invalidExpressions.count))
        for (expression, program, text) in results {
            if let wanted = expected[expression] {
                #expect(program == wanted)
                if let text { #expect(text == wanted.disassembly.joined()) }
            } else {
                #expect(program == nil)
                #expect(text?.isEmpty == false)
            }
        }
    }
}
