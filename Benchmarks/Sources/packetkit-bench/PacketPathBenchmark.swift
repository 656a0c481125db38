import Foundation
import PacketKit

/// Per-packet costs of the data-plane paths: encapsulations (payload only, and full outer frames), the
/// pcapng writer, and the live merger. Each loop reuses one buffer, as the agent and the broker do.
enum PacketPathBenchmark {
    static func run(iterations: Int) throws {
        print("per-packet cost, \(iterations) packets of 66 bytes each (median of 3 runs; buffers reused, no allocation)")
        let frame = Inputs.tcpFrame(input: 1)
        var sink: UInt64 = 0

        func measure(_ name: String, _ body: () throws -> Void) rethrows {
            let clock = ContinuousClock()
            var samples: [Double] = []
            for _ in 0..<3 {
                let start = clock.now
                try body()
                samples.append(seconds(clock.now - start) * 1e9 / Double(iterations))
            }
            let value = median(samples)
            print("  " + name.padding(toLength: 38, withPad: " ", startingAt: 0)
                + String(format: "%7.1f ns/packet  %12.0f packets/s", value, 1e9 / value))
        }

        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
        defer { output.deallocate() }

        func encapsulation<E: PacketEncapsulator>(_ name: String, _ prototype: E) throws {
            var buffer: [UInt8] = []
            buffer.reserveCapacity(2048)
            try frame.withUnsafeBytes { bytes in
                try measure(name + " (into send buffer)") {
                    var encapsulator = prototype
                    var info = MirroredFrameInfo(timestamp: Inputs.start)
                    for _ in 0..<iterations {
                        info.timestamp &+= 1_000
                        let length = try encapsulator.encapsulate(bytes, info: info, into: output)
                        sink &+= UInt64(output[length &- 1])
                    }
                }
                measure(name + " (appending to [UInt8])") {
                    var encapsulator = prototype
                    var info = MirroredFrameInfo(timestamp: Inputs.start)
                    for _ in 0..<iterations {
                        buffer.removeAll(keepingCapacity: true)
                        info.timestamp &+= 1_000
                        encapsulator.encapsulate(bytes, info: info, into: &buffer)
                        sink &+= UInt64(buffer[buffer.count &- 1])
                    }
                }
                var builder = OuterFrameBuilder(sourceMAC: MACAddress(2, 0, 0, 0, 0, 1), destinationMAC: MACAddress(2, 0, 0, 0, 0, 2),
                                                source: IPv4Address(192, 0, 2, 1), destination: IPv4Address(192, 0, 2, 9))
                try measure(name + " + Ethernet/IPv4 frame") {
                    var encapsulator = prototype
                    let info = MirroredFrameInfo(timestamp: Inputs.start)
                    for _ in 0..<iterations {
                        let length = try builder.build(bytes, with: &encapsulator, info: info, into: output)
                        sink &+= UInt64(output[length &- 1])
                    }
                }
            }
        }

        try encapsulation("ERSPAN II", ERSPANTypeIIEncapsulator(sessionID: 100))
        try encapsulation("ERSPAN III", ERSPANTypeIIIEncapsulator(sessionID: 200))
        try encapsulation("VXLAN", VXLANEncapsulator(vni: 5001))
        try encapsulation("GRE-TEB (key)", GRETransparentEthernetEncapsulator(key: 42))

        try frame.withUnsafeBytes { bytes in
            var writer = PcapngWriter(reservingCapacity: 2 << 20)
            writer.writeSectionHeader()
            let interface = try writer.writeInterfaceDescription(PcapngInterfaceDescription(name: "bench"))
            try measure("pcapng writer (EPB)") {
                for index in 0..<iterations {
                    try writer.writeEnhancedPacket(interfaceID: interface, timestamp: Inputs.start &+ UInt64(index), data: bytes)
                    if writer.byteCount >= 1 << 20 {
                        sink &+= UInt64(writer.byteCount)
                        writer.removeAll()
                    }
                }
            }

            try measure("live merger, 4 sources (push+write)") {
                var merger = PcapngLiveMerger(reorderWindow: 500_000_000)
                var output = PcapngWriter(reservingCapacity: 2 << 20)
                var sources: [PcapngLiveMerger.SourceID] = []
                for index in 0..<4 {
                    let source = merger.addSource()
                    try merger.addInterface(PcapngInterfaceDescription(name: "source-\(index)"), source: source)
                    sources.append(source)
                }
                var clocks: [UInt64] = [0, 250, 500, 750].map { Inputs.start + $0 }
                var generator = SplitMix(seed: 7)
                var pushed = 0
                while pushed < iterations {
                    for (index, source) in sources.enumerated() {
                        for _ in 0..<64 {  // a batch from one agent
                            clocks[index] += 1_000 + generator.next() % 7_000
                            try merger.pushPacket(source: source, interfaceID: 0, timestamp: clocks[index], data: bytes)
                        }
                    }
                    pushed += 256
                    try merger.writeReady(into: &output)
                    if output.byteCount >= 1 << 20 {
                        sink &+= UInt64(output.byteCount)
                        output.removeAll()
                    }
                }
                merger.finish()
                try merger.writeReady(into: &output)
                sink &+= UInt64(output.byteCount)
            }
        }
        // The same 4 sources' packets as agents' batches of EPBs (made before the clock starts), along each path.
        var generator = SplitMix(seed: 7)
        var clocks: [UInt64] = [0, 250, 500, 750].map { Inputs.start + $0 }
        let sources = (0..<4).map { index in
            (0..<iterations / 4).map { _ in
                clocks[index] += 1_000 + generator.next() % 7_000
                return PcapngEnhancedPacket(interfaceID: 0, timestamp: clocks[index], data: frame[...])
            }
        }
        let batches = try LiveMergeBenchmark.batches(sources)
        for path in LiveMergeBenchmark.Path.allCases {
            try measure("live merger, batches \(path == .passedThrough ? "passed through" : "re-encoded")") {
                try LiveMergeBenchmark.merge(batches, path: path) { sink &+= UInt64($0.count) }
            }
        }
        print("  (checksum \(sink % 1000))")
    }
}
