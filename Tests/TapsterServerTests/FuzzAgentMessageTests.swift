import Foundation
import GRPCCore
import HTTPTypes
import PacketKit
import SwiftProtobuf
import TapsterCore
import TapsterStore
import TapsterSystemTestSupport
import TapsterTestSupport
import TapsterWire
import Testing
@testable import TapsterServer

/// What an enrolled agent sends is untrusted input: random or damaged protobuf bytes, decoded as the
/// agent service decodes them and fed to the same conversions (inventory merge, status reports, the
/// capture merge), never trap, never store what the API could not serve, and never grow past the
/// capture's buffer budget.
@Suite("agent messages under fuzzing")
struct FuzzAgentMessageTests {
    static let agent = "node-1"

    /// A plausible inventory, status report or hello, as an agent would send one.
    static func message(_ random: inout FuzzGenerator) -> Tapster_Agent_V1_AgentMessage {
        var message = Tapster_Agent_V1_AgentMessage()
        switch random.index(3) {
        case 0:
            var inventory = Tapster_Agent_V1_Inventory()
            for index in 0..<random.index(4) {
                var workload = Tapster_Agent_V1_WorkloadReport()
                workload.name = ["web-\(index)", "", "a b", "x/y", String(repeating: "w", count: 300), "é"][random.index(6)]
                workload.kind = ["netns", "interface", "process", "bogus", ""][random.index(5)]
                workload.netns = random.oneIn(2) ? "web\(index)" : ""
                workload.labels = ["app": ["web", "", "é", "a=b"][random.index(4)], "tenant": ["shop", "nope"][random.index(2)]]
                var interface = Tapster_Agent_V1_InterfaceReport()
                interface.name = ["eth0", "", "veth-\(index)"][random.index(3)]
                interface.mac = ["02:00:00:00:00:01", "", "zz"][random.index(3)]
                interface.ips = [["10.0.0.\(index)"], ["fe80::1%eth0"], ["not-an-ip"], []][random.index(4)]
                workload.interfaces = [interface]
                inventory.workloads.append(workload)
            }
            message.inventory = inventory
        case 1:
            var report = Tapster_Agent_V1_StatusReport()
            report.revision = UInt64.random(in: 0...UInt64.max, using: &random)
            var tap = Tapster_Agent_V1_TapStatus()
            tap.tapID = [Identifier.make(), "", "../x", String(repeating: "a", count: 40)][random.index(4)]
            tap.reason = String(repeating: "r", count: random.index(3000))
            tap.packets = UInt64.random(in: 0...UInt64.max, using: &random)
            report.taps = [tap]
            message.status = report
        default:
            var hello = Tapster_Agent_V1_Hello()
            hello.version = "1.0"
            hello.hostname = agent
            message.hello = hello
        }
        return message
    }

    /// A message's bytes, damaged or replaced by random bytes now and then.
    static func bytes(of message: some SwiftProtobuf.Message, _ random: inout FuzzGenerator) throws -> [UInt8] {
        let valid: [UInt8] = try message.serializedBytes()
        switch random.index(4) {
        case 0: return valid
        case 1: return random.bytes(random.index(64))
        default: return random.mutate(valid)
        }
    }

    @Test("inventories and status reports of any bytes are stored only as valid workloads and statuses; the API still lists them")
    func controlMessages() async throws {
        try await TestServer.run(.sqlite) { api, controlPlane in
            _ = try await api.expect(Tenant.self, .post, "/api/v1/tenants", token: TestServer.adminToken, json: ["name": "shop"])
            let run = FuzzRun("agent control messages", cases: 400)
            try await run.forEachAsyncCase { random, fuzzCase in
                let bytes = try Self.bytes(of: Self.message(&random), &random)
                guard let message = try? Tapster_Agent_V1_AgentMessage(serializedBytes: bytes) else { return }
                do {
                    switch message.kind {
                    case .inventory(let inventory)?: try await controlPlane.fleet.reportInventory(Self.agent, inventory)
                    case .status(let report)?: try await controlPlane.fleet.reportStatus(Self.agent, report)
                    case .flows(let report)?: try await controlPlane.flows.record(agent: Self.agent, report.flows.map(FlowRecord.init))
                    case .hello?, nil: break
                    }
                } catch {
                    // What the agent service would answer: a typed refusal, never an internal error.
                    #expect(AgentService.rpcError(error).code != .internalError, "\(fuzzCase): \(error)")
                }
            }
            let workloads = try await api.call(.get, "/api/v1/workloads", token: TestServer.adminToken)
            #expect(workloads.status == 200, "\(workloads.text)")
            for workload in try await controlPlane.store.list(.workloads, tenants: nil) {
                #expect(workload.host == Self.agent && workload.reportedBy == Self.agent)
                #expect((try? workload.spec.validated()) == workload.spec)
            }
        }
    }

    @Test("inventories of any bytes merge into workloads that validate, on the agent's own host, in existing tenants only")
    func inventoryMerge() throws {
        let run = FuzzRun("inventory merge", cases: 5000)
        try run.forEachCase { random, fuzzCase in
            var message = Self.message(&random)
            while message.inventory.workloads.isEmpty, !random.oneIn(8) { message = Self.message(&random) }
            guard let decoded = try? Tapster_Agent_V1_AgentMessage(serializedBytes: try Self.bytes(of: message, &random)),
                  case .inventory(let inventory)? = decoded.kind else { return }
            let changes = InventoryMerge.merge(inventory, agent: Self.agent, existing: [], tenancy: WorkloadTenancy(tenants: ["shop"], mappings: []), now: Date())
            for workload in changes.inserted {
                #expect(workload.host == Self.agent && workload.reportedBy == Self.agent, "\(fuzzCase)")
                #expect(workload.tenant == nil || workload.tenant == "shop", "\(fuzzCase)")
                #expect((try? workload.spec.validated()) == workload.spec, "\(fuzzCase): \(workload.spec)")
            }
        }
    }

    /// A packet batch as an agent sends one: interfaces, EPBs in their numbering, counters.
    static func batch(_ random: inout FuzzGenerator, capture: String) throws -> Tapster_Agent_V1_PacketBatch {
        var batch = Tapster_Agent_V1_PacketBatch()
        batch.captureID = capture
        var writer = PcapngWriter(reservingCapacity: 4096)
        writer.writeSectionHeader()
        let interfaceCount = 1 + random.index(3)
        for index in 0..<interfaceCount {
            _ = try writer.writeInterfaceDescription(PcapngInterfaceDescription())
            var interface = Tapster_Agent_V1_CaptureInterface()
            interface.index = UInt32(index)
            interface.name = ["\(agent)/web/eth\(index)", "node-2/db/eth0", "", "eth\(index)"][random.index(4)]
            interface.linkType = random.oneIn(5) ? UInt32.random(in: 0...UInt32.max, using: &random) : 1
            interface.snaplen = random.oneIn(5) ? UInt32.random(in: 0...UInt32.max, using: &random) : 262_144
            batch.interfaces.append(interface)
        }
        let headerLength = writer.bytes.count
        for _ in 0..<random.index(10) {
            let data = random.bytes(random.index(300))
            try writer.writeEnhancedPacket(PcapngEnhancedPacket(interfaceID: UInt32(random.index(interfaceCount)),
                                                                timestamp: 1_700_000_000_000_000_000 &+ UInt64(random.index(1 << 40)), data: data[...]))
        }
        batch.blocks = Data(writer.bytes[headerLength...])
        var counters = Tapster_Agent_V1_InterfaceCounters()
        counters.index = UInt32(random.index(4))
        counters.received = UInt64.random(in: 0...UInt64.max, using: &random)
        batch.counters = [counters]
        batch.last = random.oneIn(8)
        return batch
    }

    @Test("packet batches of any bytes keep the capture merge within its budget and its output valid pcapng naming only the agent's host")
    func packetBatches() throws {
        let run = FuzzRun("packet batches", cases: 300)
        try run.forEachCase { random, fuzzCase in
            let budget = 4096 + random.index(64 << 10)
            var merge = CaptureMerge(budget: budget, packetLimit: random.oneIn(3) ? UInt64(random.index(50)) : nil, byteLimit: nil,
                                     reorderWindow: 500_000_000, startTime: 1_700_000_000_000_000_000, expectedAgents: [Self.agent])
            var output: [UInt8] = []
            var now: UInt64 = 1_700_000_000_000_000_000
            for _ in 0..<1 + random.index(12) {
                let bytes = try Self.bytes(of: Self.batch(&random, capture: "c"), &random)
                guard let batch = try? Tapster_Agent_V1_PacketBatch(serializedBytes: bytes) else { continue }
                now &+= UInt64(random.index(1_000_000_000))
                merge.ingest(agent: random.oneIn(4) ? "node-2" : Self.agent, batch, queued: 0, now: now)
                #expect(merge.heldBytes <= budget, "\(fuzzCase)")
                try merge.drain { output.append(contentsOf: $0) }
            }
            try merge.finish(at: now)
            try merge.drain { output.append(contentsOf: $0) }
            let blocks: [PcapngBlock]
            do {
                blocks = try PcapngReader.readAll(output)
            } catch {
                Issue.record("\(fuzzCase): the merged capture is not valid pcapng: \(error)")
                return
            }
            for case .interfaceDescription(let interface) in blocks {
                let host = interface.name?.split(separator: "/").first.map(String.init)
                #expect(host == Self.agent || host == "node-2", "\(fuzzCase): \(interface.name ?? "-")")
            }
        }
    }
}
