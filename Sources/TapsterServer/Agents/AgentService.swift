import Foundation
import GRPCCore
import Logging
import Synchronization
import TapsterCore
import TapsterPKI
import TapsterWire

/// The server side of `tapster.agent.v1.AgentService`, over the control plane.
///
/// - `Enroll`: only with a self-signed bootstrap certificate; see ``FleetService/enrollAgent(joinToken:name:version:publicKey:)``.
/// - `Connect`: only with the agent's current certificate; Hello first, then the agent's inventory and
///   status reports, while the ``AgentHub`` sends its desired sets on the same stream. A newer stream of
///   the same agent, a revocation, or the server's shutdown closes it.
/// - `SendPackets`: only with the agent's current certificate; a batch goes to the capture broker only for
///   a capture planned for this agent (``UploadGate``); revoking the agent ends its open streams.
struct AgentService: Tapster_Agent_V1_AgentService.SimpleServiceProtocol {
    let controlPlane: ControlPlane
    let pki: AgentPKI
    let logger: Logger

    func enroll(request: Tapster_Agent_V1_EnrollRequest, context: ServerContext) async throws -> Tapster_Agent_V1_EnrollResponse {
        guard case .bootstrap(let publicKey) = try peer(context) else {
            throw RPCError(code: .failedPrecondition,
                           message: "enrol with a self-signed bootstrap certificate; this one was issued by the server's CA (the agent is enrolled already)")
        }
        do {
            let enrolment = try await controlPlane.fleet.enrollAgent(joinToken: request.joinToken, name: request.name, version: request.version,
                                                               publicKey: publicKey, from: Self.address(of: context.remotePeer))
            logger.info("agent enrolled", metadata: ["agent": "\(request.name)", "peer": "\(context.remotePeer)"])
            var response = Tapster_Agent_V1_EnrollResponse()
            response.certificatePem = enrolment.certificatePEM
            response.caCertificatePem = enrolment.caCertificatePEM
            response.agentID = enrolment.agent.id
            return response
        } catch {
            logger.notice("enrolment refused", metadata: ["agent": "\(request.name)", "peer": "\(context.remotePeer)", "error": "\(error)"])
            throw Self.rpcError(error)
        }
    }

    // The functions below that a channel's long-lived tasks run (`connect`, `serve`, the message loop) are kept
    // out of each other (`@inline(never)`) and small: a task keeps the slabs its deepest frame chain needed
    // until the task ends, so what is inlined into them is paid for every connected agent for as long as it stays
    // connected (9 KB and 6 KB per agent before; see Benchmarks/README.md, "Each channel's task frames").

    func connect(request: RPCAsyncSequence<Tapster_Agent_V1_AgentMessage, any Error>,
                 response: RPCWriter<Tapster_Agent_V1_ServerMessage>, context: ServerContext) async throws {
        guard case .enrolled(let name, let serial) = try peer(context) else {
            throw RPCError(code: .unauthenticated, message: "connect with the certificate issued at enrolment, not a bootstrap certificate")
        }
        try await admit(name, serial: serial)
        let session = SessionMark(agent: name, address: Self.address(of: context.remotePeer))
        let outcome = await serve(session, request: request, response: response)
        await close(session)
        try outcome.get()
    }

    /// The control plane's admission of a connecting agent, on a task of its own (it reads the store).
    @inline(never)
    private func admit(_ name: String, serial: String) async throws {
        do {
            // The child captures only the control plane's reference: neither `self` nor a copy of the fleet service
            // (values) goes into this frame or the child's context.
            let controlPlane = controlPlane
            _ = try await inChildTask { try await controlPlane.fleet.admitAgent(name: name, serial: serial) }
        } catch {
            throw Self.rpcError(error)
        }
    }

    /// Runs the channel until either side ends it: the hub's desired sets out, the agent's messages in.
    @inline(never)
    private func serve(_ session: SessionMark, request: RPCAsyncSequence<Tapster_Agent_V1_AgentMessage, any Error>,
                       response: RPCWriter<Tapster_Agent_V1_ServerMessage>) async -> Result<Void, RPCError> {
        let (outbound, continuation) = AsyncThrowingStream.makeStream(of: DesiredTapSet.self, throwing: (any Error).self,
                                                                      bufferingPolicy: .bufferingNewest(1))
        defer { continuation.finish() }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // The edge: the hub's desired sets become protobuf only here.
                    for try await desired in outbound { try await response.write(Tapster_Agent_V1_ServerMessage(desired)) }
                }
                group.addTask {
                    try await receive(request, session: session, outbound: continuation)
                }
                // Whichever ends first ends the channel: the agent closing its side, or the hub closing ours.
                try await group.next()
                group.cancelAll()
            }
            return .success(())
        } catch is CancellationError {
            return .failure(RPCError(code: .unavailable, message: "the server is shutting down"))
        } catch {
            return .failure(Self.rpcError(error))
        }
    }

    /// Once the channel has ended: the hub forgets it (unless a newer channel of the agent replaced it), and the
    /// agent is recorded as disconnected.
    @inline(never)
    private func close(_ session: SessionMark) async {
        let name = session.agent
        guard let id = session.id.withLock({ $0 }), await controlPlane.agentHub.detach(name, id: id) else { return }
        do {
            try await controlPlane.fleet.agentDisconnected(name)
        } catch {
            logger.error("recording that an agent disconnected failed", metadata: ["agent": "\(name)", "error": "\(error)"])
        }
        controlPlane.changes.publish(.agent(name: name, .updated))
        logger.info("agent disconnected", metadata: ["agent": "\(name)"])
    }

    func sendPackets(request: RPCAsyncSequence<Tapster_Agent_V1_PacketBatch, any Error>,
                     context: ServerContext) async throws -> Tapster_Agent_V1_PacketReceipt {
        guard case .enrolled(let name, let serial) = try peer(context) else {
            throw RPCError(code: .unauthenticated, message: "send packets with the certificate issued at enrolment, not a bootstrap certificate")
        }
        try await admit(name, serial: serial)
        let hub = controlPlane.agentHub
        let (uploadID, closed) = await hub.attachUpload(name)
        let outcome = await upload(request, from: name, address: Self.address(of: context.remotePeer), closed: closed)
        await hub.detachUpload(name, id: uploadID)
        var receipt = Tapster_Agent_V1_PacketReceipt()
        do {
            receipt.batches = try outcome.get()
        } catch {
            throw Self.rpcError(error)
        }
        return receipt
    }

    /// Takes an upload stream's batches until it ends or the hub closes it; how many were taken.
    @inline(never)
    private func upload(_ request: RPCAsyncSequence<Tapster_Agent_V1_PacketBatch, any Error>, from name: String, address: String?,
                        closed: AsyncThrowingStream<Never, any Error>) async -> Result<UInt64, any Error> {
        do {
            return .success(try await withThrowingTaskGroup(of: UInt64?.self) { group in
                // Revoking the agent (or its enrolling again) ends this stream at once, batches or not.
                group.addTask {
                    for try await _ in closed {}
                    return nil
                }
                group.addTask { try await receive(request, from: name, address: address) }
                let first = try await group.next() ?? nil
                group.cancelAll()
                guard let batches = first else { throw RPCError(code: .unavailable, message: "the upload stream was closed") }
                return batches
            })
        } catch {
            return .failure(error)
        }
    }

    /// Hands each batch of an upload stream to the capture broker once the ``UploadGate`` admits it;
    /// a refusal is audited and ends the stream. Returns how many batches were taken.
    private func receive(_ request: RPCAsyncSequence<Tapster_Agent_V1_PacketBatch, any Error>, from name: String,
                         address: String?) async throws -> UInt64 {
        var gate = UploadGate(agent: name, broker: controlPlane.broker, store: controlPlane.store)
        var batches: UInt64 = 0
        for try await batch in request {
            do {
                _ = try await gate.admit(batch, hub: controlPlane.agentHub)
            } catch let refusal as TapsterError {
                let id = batch.captureID.isEmpty ? batch.tapID : batch.captureID
                logger.warning("packet batch refused", metadata: ["agent": "\(name)", "capture": "\(id)", "error": "\(refusal.message)"])
                await controlPlane.fleet.auditRefusedReport(agent: name, kind: "packets", tapID: id, reason: refusal, address: address)
                throw refusal
            }
            await controlPlane.broker.ingest(agent: name, batch: batch)
            batches += 1
        }
        return batches
    }

    // MARK: Parts

    /// Reads the agent's messages: Hello first (then the channel is registered with the hub), then
    /// inventory and status reports; every message marks the agent seen.
    @inline(never)
    private func receive(_ request: RPCAsyncSequence<Tapster_Agent_V1_AgentMessage, any Error>, session: SessionMark,
                         outbound: AsyncThrowingStream<DesiredTapSet, any Error>.Continuation) async throws {
        var greeted = false
        for try await message in request {
            try Self.checkOrder(of: message, greeted: &greeted)
            // This loop lives as long as the channel: each message's store work runs on a task of its own.
            try await inChildTask {
                try await handle(message, session: session, outbound: outbound)
            }
        }
    }

    /// Hello comes first, and once.
    private static func checkOrder(of message: Tapster_Agent_V1_AgentMessage, greeted: inout Bool) throws(RPCError) {
        switch message.kind {
        case .hello?:
            guard !greeted else { throw RPCError(code: .failedPrecondition, message: "Hello is sent once, first") }
            greeted = true
        case let kind? where !greeted:
            throw RPCError(code: .failedPrecondition, message: "send Hello first (got \(describe(kind)))")
        default:
            break
        }
    }

    /// One message of an agent that has sent its Hello (or that Hello).
    private func handle(_ message: Tapster_Agent_V1_AgentMessage, session: SessionMark,
                        outbound: AsyncThrowingStream<DesiredTapSet, any Error>.Continuation) async throws {
        let name = session.agent, address = session.address
        switch message.kind {
        case .hello(let hello)?:
            do {
                try await controlPlane.fleet.agentConnected(name, hello: hello, address: address)
            } catch {
                logger.notice("agent's Hello refused", metadata: ["agent": "\(name)", "peer": "\(address ?? "?")", "error": "\(error)"])
                throw error
            }
            let id = await controlPlane.agentHub.attach(name, outbound: outbound)
            session.id.withLock { $0 = id }
            logger.info("agent connected", metadata: ["agent": "\(name)", "version": "\(hello.version)", "peer": "\(address ?? "?")"])
        case .inventory(let inventory)?:
            try await controlPlane.fleet.reportInventory(name, inventory)
            controlPlane.fleet.agentSeen(name)
        case .status(let report)?:
            try await controlPlane.fleet.reportStatus(name, report, address: address)
            controlPlane.fleet.agentSeen(name, appliedRevision: report.revision)
        case .flows(let report)?:
            let refused = try await controlPlane.flows.record(agent: name, report.flows.map(FlowRecord.init))
            if refused > 0 {
                logger.warning("flow records refused (not a flows tap, or a workload not on the agent's host)",
                               metadata: ["agent": "\(name)", "refused": "\(refused)"])
            }
            controlPlane.fleet.agentSeen(name)
        case nil:
            controlPlane.fleet.agentSeen(name)
        }
    }

    /// Who called, from the TLS handshake; `unauthenticated` when no acceptable certificate was presented.
    private func peer(_ context: ServerContext) throws -> AgentPeer {
        guard let peer = AgentPeer.identify(context, authority: pki.authority, revocations: pki.revocations) else {
            throw RPCError(code: .unauthenticated, message: "no acceptable client certificate (unknown, expired or revoked)")
        }
        return peer
    }

    /// The control plane's refusal as a gRPC status with the same message.
    @inline(never)  // not into the channel's long-lived frames (see `connect`)
    static func rpcError(_ error: any Error) -> RPCError {
        if let error = error as? RPCError { return error }
        guard let error = error as? TapsterError else {
            return RPCError(code: .internalError, message: "internal error: \(error)")
        }
        let code: RPCError.Code = switch error.code {
        case .unauthenticated: .unauthenticated
        case .forbidden, .notGranted: .permissionDenied
        case .invalidArgument, .badRequest, .malformedJSON, .invalidBPF: .invalidArgument
        case .notFound: .notFound
        case .alreadyExists: .alreadyExists
        case .invalidState, .inUse: .failedPrecondition
        case .unavailable: .unavailable
        case .tooManyRequests, .quotaExceeded: .resourceExhausted
        default: .internalError
        }
        return RPCError(code: code, message: error.message)
    }

    /// `ipv4:10.0.0.5:41234` → `10.0.0.5`; `ipv6:[::1]:443` → `::1`.
    static func address(of peer: String) -> String? {
        guard let colon = peer.firstIndex(of: ":") else { return nil }
        var rest = peer[peer.index(after: colon)...]
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") { return String(rest[rest.index(after: rest.startIndex)..<close]) }
        if let port = rest.lastIndex(of: ":") { rest = rest[..<port] }
        return rest.isEmpty ? nil : String(rest)
    }

    private static func describe(_ kind: Tapster_Agent_V1_AgentMessage.OneOf_Kind) -> String {
        switch kind {
        case .hello: "Hello"
        case .inventory: "Inventory"
        case .status: "StatusReport"
        case .flows: "FlowReport"
        }
    }
}

/// One `Connect` stream: whose it is, from where, and the hub's id of its channel once Hello registered it.
private final class SessionMark: Sendable {
    let agent: String
    let address: String?
    let id = Mutex<UUID?>(nil)

    init(agent: String, address: String?) {
        self.agent = agent
        self.address = address
    }
}
