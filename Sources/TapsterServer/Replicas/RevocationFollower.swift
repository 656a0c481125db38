import Foundation
import GRPCCore
import Logging
import ServiceLifecycle
import TapsterCore
import TapsterPKI
import TapsterStore

/// Makes a revocation made on any replica hold on this one at once: on every agent change it hears
/// (another replica's arrive through the ``ChangeRelay``), an agent that is now revoked or deleted has its
/// serials added to this replica's revocation list (new handshakes are refused) and its control channel
/// and upload streams here cut. After missed changes it re-reads the whole list.
struct RevocationFollower: Service {
    let store: any Store
    let pki: AgentPKI
    let agentHub: AgentHub
    let logger: Logger
    /// Subscribed at once, so that no change published before ``run()`` starts is missed.
    private let subscription: ChangeFeed.Subscription

    init(store: any Store, pki: AgentPKI, agentHub: AgentHub, changes: ChangeFeed, logger: Logger) {
        self.store = store
        self.pki = pki
        self.agentHub = agentHub
        self.logger = logger
        self.subscription = changes.subscribe()
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await event in subscription {
                do {
                    switch event {
                    case .change(.agent(let name, _)): try await follow(name)
                    case .change(.everything), .resync: try await followAll()
                    case .change: continue
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("could not re-read agent revocations; retrying at the next agent change", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// One agent changed: when it is revoked or gone, nothing of it stays connected here.
    private func follow(_ name: String) async throws {
        let agent = try await store.findAgent(name)
        guard agent == nil || agent?.state == .revoked else { return }
        pki.revocations.replaceAll(with: try await store.revokedSerials())
        await cut(name, because: agent == nil ? "deleted" : "revoked")
    }

    /// Anything may have changed: the whole list again, and every revoked agent still connected here cut.
    private func followAll() async throws {
        pki.revocations.replaceAll(with: try await store.revokedSerials())
        let revoked = Set(try await store.listAgents().filter { $0.state == .revoked }.map(\.name))
        for name in await agentHub.connectedAgents where revoked.contains(name) {
            await cut(name, because: "revoked")
        }
    }

    private func cut(_ name: String, because reason: String) async {
        if await agentHub.connectedAgents.contains(name) {
            logger.notice("agent was \(reason): its channel to this replica is closed", metadata: ["agent": "\(name)"])
        }
        await agentHub.close(name, with: RPCError(code: .permissionDenied, message: "agent \(name) was \(reason)"))
    }
}
