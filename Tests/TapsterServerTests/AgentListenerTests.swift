import Foundation
import Testing
@testable import TapsterServer
import TapsterSystemTestSupport
import TapsterTestSupport

/// The agent channel's listening socket, as the kernel reports it (`ss`).
@Suite struct AgentListenerTests {
    @Test("the agent listener's accept queue holds 4096 connections, not NIO's default 128: a whole fleet reconnecting at once is queued, not dropped")
    func acceptQueueHoldsAFleetReconnecting() async throws {
        try await AgentHarness.run(.sqlite) { harness in
            // For a listening socket, ss reports the accept queue's limit as Send-Q (the third column).
            let listing = try ProcessRunner.run(["ss", "-H", "-l", "-t", "-n", "sport = :\(harness.agentPort)"]).stdout
            let columns = listing.split(whereSeparator: \.isWhitespace)

            // The kernel caps what listen(2) asks for at net.core.somaxconn (4096 unless lowered).
            let cap = try #require(Int32(try String(contentsOfFile: "/proc/sys/net/core/somaxconn", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)))

            #expect(columns.count > 2 && columns[2] == "\(min(AgentChannel.listenBacklog, cap))", "ss: \(listing)")
            #expect(min(AgentChannel.listenBacklog, cap) > 128, "net.core.somaxconn is \(cap): the kernel caps every accept queue there")
        }
    }
}
