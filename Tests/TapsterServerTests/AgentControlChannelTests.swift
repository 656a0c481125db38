import Foundation
import GRPCCore
import HTTPTypes
import SwiftProtobuf
import Testing
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterSystemTestSupport
import TapsterStore
import TapsterTestSupport
import TapsterWire

/// The control channel: Hello, then desired sets pushed on every change; inventory and status
/// reports, which show in the API and on `/metrics`.
@Suite struct AgentControlChannelTests {
    @Test(arguments: StoreKind.available)
    func connectedAgentIsSentTheTapsOfItsWorkloadsAsTheAPICreatedThem(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            // Fixture: web-1 (10.0.0.1) on node-1, web-2 and db-1 (10.0.0.3) on node-2; alice may tap web-to-db into
            // wireshark-1 (ERSPAN II to 192.0.2.10, session 42).
            let fixture = try await Fixture.make(harness.api)
            let stream = try await harness.enrolledAgent("node-1").connect()
            let empty = try await stream.desired()
            #expect(empty.taps.isEmpty)
            let tap = try await fixture.aliceTap(harness.api).tap
            let desired = try await stream.desired("a set with the tap") { !$0.taps.isEmpty }
            #expect(desired.revision > empty.revision)
            #expect(desired.taps == [.with {
                $0.tapID = tap.id
                $0.deadlineUnixNanos = Int64((tap.deadline.timeIntervalSince1970 * 1000).rounded()) * 1_000_000
                $0.sources = [.with { $0.workload = "web-1"; $0.interface = "eth0" }]
                $0.bpf = "(tcp port 5432) and (host 10.0.0.3)"
                $0.snaplen = 0
                $0.direction = .both
                $0.destination.tunnel = .with { $0.encapsulation = .erspanIi; $0.address = "192.0.2.10"; $0.sessionID = 42 }
            }])
            await stream.close()
        }
    }

    @Test(arguments: StoreKind.available)
    func stoppingATapPushesANewerSetWithoutIt(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let fixture = try await Fixture.make(harness.api)
            let stream = try await harness.enrolledAgent("node-1").connect()
            let tap = try await fixture.aliceTap(harness.api).tap
            _ = try await stream.desired { !$0.taps.isEmpty }
            let seen = stream.desiredSets.count
            _ = try await harness.api.expect(Tap.self, .post, "/api/v1/taps/\(tap.id)/stop", token: fixture.alice)
            let after = try await stream.desired(after: seen, timeout: .seconds(30), "a set without the stopped tap") { $0.taps.isEmpty }
            #expect(after.revision > stream.desiredSets[seen - 1].revision)
            await stream.close()
        }
    }

    @Test(arguments: StoreKind.available)
    func anExpiredTapIsWithdrawnToo(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let fixture = try await Fixture.make(harness.api)
            let stream = try await harness.enrolledAgent("node-1").connect()
            // Connected first, and long enough to be pushed before it expires: a tap past its deadline is never planned.
            _ = try await stream.desired()
            _ = try await fixture.aliceTap(harness.api, for: "5s")
            _ = try await stream.desired { !$0.taps.isEmpty }
            let seen = stream.desiredSets.count
            _ = try await stream.desired(after: seen, timeout: .seconds(60), "a set without the expired tap") { $0.taps.isEmpty }
            await stream.close()
        }
    }

    @Test(arguments: StoreKind.available)
    func connectionIsRecordedWithVersionAddressAndLastSeen(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let agent = try await harness.enrolledAgent("node-1")
            let stream = try agent.connect(tunnelAddress: "198.51.100.1")
            _ = try await stream.desired()
            let connected = try await eventually("node-1 connected") {
                let record = try await harness.agentRecord("node-1")
                return record.state == .connected ? record : nil
            }
            #expect(connected.version == "test-1.0")
            #expect(connected.hostname == "test-host-node-1")
            #expect(connected.address == "127.0.0.1")
            #expect(connected.tunnelAddress == "198.51.100.1")
            let firstSeen = try #require(connected.lastSeenAt)
            harness.clock.advance(by: 5)
            stream.send(.with { $0.status = .with { $0.revision = 1 } })
            let later = try await eventually("last seen moves") {
                let record = try await harness.agentRecord("node-1")
                return (record.lastSeenAt ?? firstSeen) > firstSeen ? record : nil
            }
            #expect(later.appliedRevision == 1)
            let listed = try await harness.api.expect(ItemList<Agent>.self, .get, "/api/v1/agents", token: TestServer.adminToken)
            #expect(listed.items.map(\.name) == ["node-1"])
            await stream.close()
            _ = try await eventually("node-1 disconnected") {
                try await harness.agentRecord("node-1").state == .disconnected ? true : nil
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func helloComesFirst(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let stream = try await harness.enrolledAgent("node-1").connect(hello: false)
            stream.sendInventory([])
            let error = try #require(try await stream.ended() as? RPCError)
            #expect(error.code == .failedPrecondition)
            #expect(error.message == "send Hello first (got Inventory)")
        }
    }

    @Test(arguments: StoreKind.available)
    func aNewStreamOfTheSameAgentReplacesTheOldOne(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let agent = try await harness.enrolledAgent("node-1")
            let old = try agent.connect()
            _ = try await old.desired()
            let new = try agent.connect()
            _ = try await new.desired()
            let error = try #require(try await old.ended() as? RPCError)
            #expect(error.code == .aborted)
            #expect(await harness.controlPlane.agentHub.connectedAgents == ["node-1"])
            #expect(try await harness.agentRecord("node-1").state == .connected)
            await new.close()
        }
    }

    @Test(arguments: StoreKind.available)
    func reconnectingWithNothingChangedGetsTheSameRevision(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let agent = try await harness.enrolledAgent("node-1")
            let first = try agent.connect()
            let before = try await first.desired()
            await first.close()
            let second = try agent.connect()
            #expect(try await second.desired().revision == before.revision)
            await second.close()
        }
    }

    @Test(arguments: StoreKind.available)
    func revisionsKeepGrowingAcrossARestart(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let agent = try await harness.enrolledAgent("node-1")
            let stream = try agent.connect()
            let before = try await stream.desired()
            await stream.close()
            // A restarted server: a new hub on the same store, its clock set back by an hour.
            let restarted = AgentHub(store: harness.controlPlane.store, clock: { Date().addingTimeInterval(-3600) }, logger: TestServer.logger)
            let (outbound, continuation) = AsyncThrowingStream.makeStream(of: DesiredTapSet.self)
            _ = await restarted.attach("node-1", outbound: continuation)
            try await restarted.push()
            var iterator = outbound.makeAsyncIterator()
            let after = try #require(try await iterator.next())
            #expect(after.revision > before.revision)
        }
    }

    // MARK: Inventory

    @Test(arguments: StoreKind.available)
    func inventoryReplacesTheAgentsWorkloadsKeepingTheirIds(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            _ = try await Fixture.make(harness.api)
            let stream = try await harness.enrolledAgent("node-9").connect()
            stream.sendInventory([
                .netns("web-9", labels: ["app": "web", "tenant": "shop"], mac: "02:00:00:00:00:09", ips: ["10.0.9.1"]),
                .netns("cache-9", labels: ["app": "cache"], ips: ["10.0.9.2"]),
            ])
            let first = try await eventually("node-9's workloads") {
                let items = try await harness.api.expect(ItemList<Workload>.self, .get, "/api/v1/workloads?host=node-9",
                                                         token: TestServer.adminToken).items
                return items.count == 2 ? items : nil
            }
            let web = try #require(first.first { $0.name == "web-9" })
            #expect(web.reportedBy == "node-9")
            #expect(web.tenant == "shop")
            #expect(web.netns == "web-9")
            #expect(web.interfaces.map(\.mac) == ["02:00:00:00:00:09"])
            // Alice (tenant shop) sees it, with the selector she would use.
            let seen = try await harness.api.expect(ItemList<Workload>.self, .get, "/api/v1/workloads?selector=app%3Dweb",
                                                    token: try await Self.aliceToken(harness))
            #expect(seen.items.map(\.name).contains("web-9"))

            // Next report: web-9 changed its labels and address, cache-9 is gone, db-9 is new.
            stream.sendInventory([
                .netns("web-9", labels: ["app": "web", "tier": "front", "tenant": "shop"], mac: "02:00:00:00:00:09", ips: ["10.0.9.5"]),
                .netns("db-9", labels: ["app": "db"], ips: ["10.0.9.3"]),
            ])
            let second = try await eventually("node-9's new report") {
                let items = try await harness.api.expect(ItemList<Workload>.self, .get, "/api/v1/workloads?host=node-9",
                                                         token: TestServer.adminToken).items
                return Set(items.map(\.name)) == ["web-9", "db-9"] ? items : nil
            }
            let webAgain = try #require(second.first { $0.name == "web-9" })
            #expect(webAgain.id == web.id)
            #expect(webAgain.interfaces.map(\.id) == web.interfaces.map(\.id))
            #expect(webAgain.labels["tier"] == "front")
            #expect(webAgain.interfaces.first?.ips.map(\.description) == ["10.0.9.5"])
            // Workloads the admin registered on other hosts are untouched.
            let all = try await harness.api.expect(ItemList<Workload>.self, .get, "/api/v1/workloads", token: TestServer.adminToken)
            #expect(Set(all.items.map(\.name)).isSuperset(of: ["web-1", "web-2", "db-1"]))
            await stream.close()
        }
    }

    @Test(arguments: StoreKind.available)
    func everyInventoryChangeIsAuditedWithTheAgentTenantAndLabels(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            _ = try await Fixture.make(harness.api)
            let stream = try await harness.enrolledAgent("node-9").connect()
            stream.sendInventory([.netns("web-9", labels: ["app": "web"], ips: ["10.0.9.1"])])
            // Then the workload claims tenant shop, then it is gone.
            let events = { (count: Int) in
                try await eventually("\(count) inventory audit events") {
                    let items = try await harness.api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?actor=agent%2Fnode-9",
                                                             token: TestServer.adminToken).items.filter { $0.objectType == "workload" }
                    return items.count == count ? items : nil
                }
            }
            let created = try #require(try await events(1).first)
            #expect(created.action == "workload.created" && created.objectName == "node-9/web-9")
            #expect(created.details == ["via": "inventory", "tenant": "", "labels": "app=web"])
            stream.sendInventory([.netns("web-9", labels: ["app": "web", "tenant": "shop"], ips: ["10.0.9.1"])])
            let updated = try #require(try await events(2).first { $0.action == "workload.updated" })
            #expect(updated.details["tenant"] == "shop" && updated.details["previous_tenant"] == "")
            stream.sendInventory([])
            let deleted = try #require(try await events(3).first { $0.action == "workload.deleted" })
            #expect(deleted.tenant == "shop")
            await stream.close()
        }
    }

    @Test(arguments: StoreKind.available)
    func aReportedWorkloadJoinsRunningTaps(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let fixture = try await Fixture.make(harness.api)
            let tap = try await fixture.aliceTap(harness.api).tap
            let stream = try await harness.enrolledAgent("node-9").connect()
            #expect(try await stream.desired().taps.isEmpty)
            // In the tap's tenant (its `tenant` label): a workload of no tenant or another is never captured for it.
            stream.sendInventory([.netns("web-9", labels: ["app": "web", "tenant": "shop"], ips: ["10.0.9.1"])])
            let desired = try await stream.desired("the tap on the new workload") { !$0.taps.isEmpty }
            #expect(desired.taps.map(\.tapID) == [tap.id])
            #expect(desired.taps.first?.sources == [.with { $0.workload = "web-9"; $0.netns = "web-9"; $0.interface = "eth0" }])
            await stream.close()
        }
    }

    @Test(arguments: StoreKind.available)
    func anInvalidWorkloadInAReportIsSkippedAndTheRestKept(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let stream = try await harness.enrolledAgent("node-9").connect()
            stream.sendInventory([
                .netns("good", labels: ["app": "web"], ips: ["10.0.9.1"]),
                .netns("bad", labels: ["app": "web"], ips: ["not-an-address"]),
            ])
            let items = try await eventually("node-9's valid workload") {
                let items = try await harness.api.expect(ItemList<Workload>.self, .get, "/api/v1/workloads?host=node-9",
                                                         token: TestServer.adminToken).items
                return items.isEmpty ? nil : items
            }
            #expect(items.map(\.name) == ["good"])
            await stream.close()
        }
    }

    // MARK: Status

    @Test(arguments: StoreKind.available)
    func statusReportsShowOnTheTapAndOnMetrics(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let fixture = try await Fixture.make(harness.api)
            let stream = try await harness.enrolledAgent("node-1").connect()
            let tap = try await fixture.aliceTap(harness.api).tap
            let desired = try await stream.desired { !$0.taps.isEmpty }
            stream.send(.with {
                $0.status = .with {
                    $0.revision = desired.revision
                    $0.taps = [.with {
                        $0.tapID = tap.id
                        $0.state = .applied
                        $0.packets = 10
                        $0.bytes = 1500
                        $0.kernelDrops = 1
                        $0.capDrops = 2
                        $0.sendDrops = 3
                        $0.bufferDrops = 4
                    }]
                }
            })
            let status = try await eventually("node-1's status of the tap") {
                try await harness.api.expect(Tap.self, .get, "/api/v1/taps/\(tap.id)", token: fixture.alice).agents?.first
            }
            #expect(status.agent == "node-1")
            #expect(status.state == .applied)
            #expect(status.packets == 10)
            #expect(status.bytes == 1500)
            #expect(status.drops == 10)
            #expect(status.dropsByCause == DropCounts(kernel: 1, cap: 2, send: 3, buffer: 4))

            let metrics = try await harness.api.call(.get, "/metrics", token: TestServer.adminToken)
            #expect(metrics.status == 200)
            #expect(metrics.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let lines = Set(metrics.text.split(separator: "\n").map(String.init))
            let labels = "tap=\"\(tap.id)\",host=\"node-1\""
            #expect(lines.isSuperset(of: [
                "# TYPE tapster_tap_packets_total counter",
                "tapster_tap_packets_total{\(labels)} 10",
                "tapster_tap_bytes_total{\(labels)} 1500",
                "tapster_tap_drops_total{\(labels),cause=\"kernel\"} 1",
                "tapster_tap_drops_total{\(labels),cause=\"cap\"} 2",
                "tapster_tap_drops_total{\(labels),cause=\"send\"} 3",
                "tapster_tap_drops_total{\(labels),cause=\"buffer\"} 4",
                "tapster_agents_connected 1",
                "tapster_agents{state=\"connected\"} 1",
                "tapster_taps_active 1",
            ]))
            await stream.close()
        }
    }

    @Test(arguments: StoreKind.available)
    func metricsNameTapsOnlyToAdminsAndAuditors(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let fixture = try await Fixture.make(harness.api)
            let tap = try await fixture.aliceTap(harness.api).tap
            let anonymous = try await harness.api.call(.get, "/metrics", token: nil)
            #expect(anonymous.status == 401)
            let owner = try await harness.api.call(.get, "/metrics", token: fixture.alice)
            #expect(owner.status == 403)
            #expect(!owner.text.contains(tap.id))
            for token in [fixture.audrey, TestServer.adminToken] {
                let metrics = try await harness.api.call(.get, "/metrics", token: token)
                #expect(metrics.status == 200)
                #expect(metrics.text.contains("tapster_taps_active 1"))
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func aFailedTapShowsItsReason(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let fixture = try await Fixture.make(harness.api)
            let stream = try await harness.enrolledAgent("node-1").connect()
            let tap = try await fixture.aliceTap(harness.api).tap
            _ = try await stream.desired { !$0.taps.isEmpty }
            stream.send(.with {
                $0.status = .with { $0.taps = [.with { $0.tapID = tap.id; $0.state = .failed; $0.reason = "eth0: no such device" }] }
            })
            let status = try await eventually("node-1's failure") {
                try await harness.api.expect(Tap.self, .get, "/api/v1/taps/\(tap.id)", token: fixture.alice).agents?.first
            }
            #expect(status.state == .failed)
            #expect(status.reason == "eth0: no such device")
            await stream.close()
        }
    }

    static func aliceToken(_ harness: AgentHarness) async throws -> String {
        try await harness.api.expect(IssuedToken.self, .post, "/api/v1/users/alice/tokens", token: TestServer.adminToken,
                                     json: TokenRequest(name: "inventory-test")).token
    }
}
