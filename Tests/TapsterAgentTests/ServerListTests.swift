import TapsterSystemTestSupport
import Testing
@testable import TapsterAgent

/// `tapster agent --server`: one replica, a list of them, or a DNS name standing for several; and the
/// order in which the agent tries them.
@Suite("Server replicas and failover order")
struct ServerListTests {
    static func address(_ text: String) throws -> ServerAddress { try ServerAddress(parsing: text) }

    // MARK: Parsing

    @Test("a comma-separated list gives each replica's address in order, spaces around commas allowed")
    func list() throws {
        let servers = try ServerList(parsing: "a.example:9443, 10.0.0.2:9443,[::1]:7000")
        #expect(servers.addresses == [ServerAddress(host: "a.example", port: 9443), ServerAddress(host: "10.0.0.2", port: 9443),
                                      ServerAddress(host: "::1", port: 7000)])
    }

    @Test("an address without a port gets the agent endpoint's default port")
    func defaultPort() throws {
        #expect(try ServerList(parsing: "a.example,b.example").addresses.map(\.port) == [7381, 7381])
    }

    @Test("an address given twice is kept once")
    func repeats() throws {
        #expect(try ServerList(parsing: "a:1,b:2,a:1").addresses == [try Self.address("a:1"), try Self.address("b:2")])
    }

    @Test("an empty entry is refused, naming the whole value", arguments: ["", "a:1,", ",a:1", "a:1,,b:2"])
    func emptyEntry(text: String) {
        #expect(throws: AgentError.invalidServerAddress(text)) { try ServerList(parsing: text) }
    }

    @Test("an entry that is not an address is refused, naming that entry")
    func badEntry() {
        #expect(throws: AgentError.invalidServerAddress("b:notaport")) { try ServerList(parsing: "a:1,b:notaport") }
    }

    // MARK: DNS names

    @Test("a DNS name with several records stands for one replica per record, on the name's port")
    func nameWithSeveralRecords() throws {
        let servers = try ServerList(parsing: "tapster.example:9443,10.0.0.9:9443")
        let resolved = servers.resolved { name in name == "tapster.example" ? ["10.0.0.1", "10.0.0.2", "fd00::3"] : [] }
        #expect(resolved == [ServerAddress(host: "10.0.0.1", port: 9443), ServerAddress(host: "10.0.0.2", port: 9443),
                             ServerAddress(host: "fd00::3", port: 9443), ServerAddress(host: "10.0.0.9", port: 9443)])
    }

    @Test("a name that does not resolve is kept as it is, so the connection says why")
    func unresolvedName() throws {
        let servers = try ServerList(parsing: "nowhere.invalid:9443")
        #expect(servers.resolved { _ in [] } == [ServerAddress(host: "nowhere.invalid", port: 9443)])
    }

    @Test("IP addresses are never looked up")
    func literalsNotResolved() throws {
        let servers = try ServerList(parsing: "127.0.0.1:1,[::1]:2")
        #expect(servers.resolved { name in Issue.record("looked up \(name)"); return [] }.count == 2)
    }

    @Test("localhost resolves through the system resolver to a loopback address")
    func systemResolver() {
        let hosts = ServerList.resolve("localhost")
        #expect(!hosts.isEmpty)
        #expect(hosts.allSatisfy { $0 == "127.0.0.1" || $0 == "::1" })
    }

    // MARK: Failover order

    @Test("each round tries every replica once, in a shuffled order")
    func everyReplicaOncePerRound() throws {
        let servers = try ServerList(parsing: "a:1,b:1,c:1,d:1")
        let rotation = ServerRotation(servers: servers, generator: FuzzGenerator(seed: 7), resolve: { _ in [] })
        for _ in 0..<3 {
            let round = (0..<4).map { _ in rotation.next() }
            #expect(Set(round) == Set(servers.addresses))
        }
    }

    @Test("agents with different random draws start on different replicas (a fleet spreads)")
    func fleetSpreads() throws {
        let servers = try ServerList(parsing: "a:1,b:1,c:1")
        let firsts = Set((0..<30).map { seed in
            ServerRotation(servers: servers, generator: FuzzGenerator(seed: UInt64(seed)), resolve: { _ in [] }).next()
        })
        #expect(firsts == Set(servers.addresses))
    }

    @Test("after a failure the next attempt goes to another replica, also across rounds")
    func neverTheSameTwiceInARow() throws {
        let servers = try ServerList(parsing: "a:1,b:1")
        let rotation = ServerRotation(servers: servers, generator: FuzzGenerator(seed: 3), resolve: { _ in [] })
        var previous = rotation.next()
        for _ in 0..<20 {
            let next = rotation.next()
            #expect(next != previous)
            previous = next
        }
    }

    @Test("one replica is tried again and again")
    func single() throws {
        let rotation = ServerRotation(servers: ServerList(try Self.address("a:1")), resolve: { _ in [] })
        #expect((0..<3).map { _ in rotation.next() } == Array(repeating: try Self.address("a:1"), count: 3))
    }

    @Test("the current replica is the last one tried, where uploads that name no replica go")
    func current() throws {
        let servers = try ServerList(parsing: "a:1,b:1")
        let rotation = ServerRotation(servers: servers, generator: FuzzGenerator(seed: 1), resolve: { _ in [] })
        #expect(rotation.current == servers.addresses[0])
        let tried = rotation.next()
        #expect(rotation.current == tried)
    }

    @Test("each new round resolves names again, following records that changed")
    func roundsResolveAgain() throws {
        let records = LockedValue(["10.0.0.1"])
        let rotation = ServerRotation(servers: try ServerList(parsing: "tapster.example:9443"), resolve: { _ in records.value })
        #expect(rotation.next() == ServerAddress(host: "10.0.0.1", port: 9443))
        records.set(["10.0.0.2"])
        #expect(rotation.next() == ServerAddress(host: "10.0.0.2", port: 9443))
    }

    // MARK: The configuration file

    @Test("the configuration file's server key takes a list of addresses")
    func configurationList() throws {
        let configuration = try AgentConfiguration(yaml: "server: [a:9443, b:9443]\n", file: "agent.yaml")
        #expect(configuration.servers == (try ServerList(parsing: "a:9443,b:9443")))
    }

    @Test("the configuration file's server key takes one comma-separated value")
    func configurationText() throws {
        let configuration = try AgentConfiguration(yaml: "server: a:9443,b:9443\n", file: "agent.yaml")
        #expect(configuration.servers == (try ServerList(parsing: "a:9443,b:9443")))
    }

    @Test("a bad server address in the configuration file is refused with its line and key")
    func configurationBadAddress() {
        #expect(throws: AgentConfigurationError(file: "agent.yaml", line: 2, key: "server",
                                                problem: "\"b:x\" is not a server address: use HOST:PORT, [IPv6]:PORT or HOST")) {
            try AgentConfiguration(yaml: "labels: {}\nserver: a:1,b:x\n", file: "agent.yaml")
        }
    }
}
