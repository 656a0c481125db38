import Foundation
import SwiftProtobuf
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization
import TapsterPKI
import TapsterSystemTestSupport
import TapsterWire

/// An agent as the server sees one, speaking `tapster.agent.v1` with the generated client over the
/// real transport and mutual TLS (``AgentChannelTLS``), with a key store of its own. Not the agent
/// itself: it sends exactly what a test tells it to.
struct TestAgent: Sendable {
    let name: String
    let port: Int
    let directory: URL

    init(name: String, port: Int, directory: URL) throws {
        self.name = name
        self.port = port
        self.directory = directory
        _ = try AgentKeyStore.loadOrCreate(in: directory, agentName: name)
    }

    var keyStore: AgentKeyStore {
        get throws { try AgentKeyStore.loadOrCreate(in: directory, agentName: name) }
    }

    /// Enrols with `token` (bootstrap certificate, CA pinned by the token's fingerprint) and keeps
    /// the issued certificate.
    @discardableResult
    func enroll(token: String, name: String? = nil) async throws -> Tapster_Agent_V1_EnrollResponse {
        let joinToken = try JoinToken(parsing: token)
        var request = Tapster_Agent_V1_EnrollRequest()
        request.joinToken = token
        request.name = name ?? self.name
        request.version = "test-1.0"
        var store = try keyStore
        let message = request
        let response = try await call(identity: .bootstrap(store), trust: .pinnedCA(joinToken.caFingerprint)) { client in
            try await client.enroll(message)
        }
        try store.saveEnrolment(certificatePEM: response.certificatePem, caCertificatePEM: response.caCertificatePem)
        return response
    }

    /// Calls Enroll presenting the enrolled certificate (which the server must refuse).
    func enrollWithEnrolledCertificate(token: String) async throws -> Tapster_Agent_V1_EnrollResponse {
        let store = try keyStore
        var request = Tapster_Agent_V1_EnrollRequest()
        request.joinToken = token
        request.name = name
        let message = request
        return try await call(identity: try .enrolled(store), trust: try trust(store)) { client in try await client.enroll(message) }
    }

    /// Opens the control channel with the enrolled certificate (or `identity`), and sends Hello
    /// first unless `hello` is false.
    func connect(identity: ClientIdentity? = nil, hello: Bool = true, tunnelAddress: String = "") throws -> ControlStream {
        let store = try keyStore
        let stream = ControlStream(port: port, identity: try identity ?? .enrolled(store), trust: try trust(store))
        if hello {
            var message = Tapster_Agent_V1_Hello()
            message.version = "test-1.0"
            message.hostname = "test-host-\(name)"
            message.tunnelAddress = tunnelAddress
            stream.send(.with { $0.hello = message })
        }
        return stream
    }

    /// Opens a `SendPackets` stream with the enrolled certificate.
    func upload() throws -> UploadStream {
        let store = try keyStore
        return UploadStream(port: port, identity: try .enrolled(store), trust: try trust(store))
    }

    private func trust(_ store: AgentKeyStore) throws -> ServerTrust {
        guard let enrolled = store.enrolled else { throw TestFailure("agent \(name) is not enrolled") }
        return .ca(pem: enrolled.caCertificatePEM)
    }

    private func call<T: Sendable>(identity: ClientIdentity, trust: ServerTrust,
                                   _ body: @Sendable (Tapster_Agent_V1_AgentService.Client<HTTP2ClientTransport.Posix>) async throws -> T) async throws -> T {
        let transport = try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: port),
            transportSecurity: try AgentChannelTLS.client(identity: identity, trust: trust))
        return try await withGRPCClient(transport: transport) { client in
            try await body(Tapster_Agent_V1_AgentService.Client(wrapping: client))
        }
    }
}

/// One `Connect` stream of a ``TestAgent``: messages are sent as the test says, desired sets are
/// collected as they arrive, and the stream's end (with its error) is recorded.
final class ControlStream: Sendable {
    /// What the stream's task records.
    private final class Record: Sendable {
        let received = Mutex<[Tapster_Agent_V1_DesiredTaps]>([])
        let outcome = Mutex<Result<Void, any Error>?>(nil)
    }

    private let outbound: AsyncStream<Tapster_Agent_V1_AgentMessage>.Continuation
    private let record = Record()
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(port: Int, identity: ClientIdentity, trust: ServerTrust) {
        let (messages, outbound) = AsyncStream.makeStream(of: Tapster_Agent_V1_AgentMessage.self)
        self.outbound = outbound
        let task = Task { [record] in
            let result: Result<Void, any Error>
            do {
                let transport = try HTTP2ClientTransport.Posix(
                    target: .ipv4(address: "127.0.0.1", port: port),
                    transportSecurity: try AgentChannelTLS.client(identity: identity, trust: trust))
                try await withGRPCClient(transport: transport) { client in
                    let request = StreamingClientRequest(of: Tapster_Agent_V1_AgentMessage.self) { writer in
                        for await message in messages { try await writer.write(message) }
                    }
                    try await Tapster_Agent_V1_AgentService.Client(wrapping: client).connect(request: request) { response in
                        for try await message in response.messages {
                            if case .desired(let desired)? = message.kind { record.received.withLock { $0.append(desired) } }
                        }
                    }
                }
                result = .success(())
            } catch {
                result = .failure(error)
            }
            record.outcome.withLock { $0 = result }
        }
        self.task.withLock { $0 = task }
    }

    func send(_ message: Tapster_Agent_V1_AgentMessage) {
        outbound.yield(message)
    }

    func sendInventory(_ workloads: [Tapster_Agent_V1_WorkloadReport]) {
        send(.with { $0.inventory = .with { $0.workloads = workloads } })
    }

    /// Every desired set received so far, in order.
    var desiredSets: [Tapster_Agent_V1_DesiredTaps] { record.received.withLock { $0 } }

    /// The first desired set received (after `after` sets) that satisfies `condition`, waiting up to `timeout`.
    /// The default is a hang guard, not an expectation: a full suite starting on 2 cores once took over 20 s to
    /// deliver the first set.
    func desired(after skipped: Int = 0, timeout: Duration = .seconds(180), _ what: String = "a desired set",
                 where condition: @escaping @Sendable (Tapster_Agent_V1_DesiredTaps) -> Bool = { _ in true }) async throws -> Tapster_Agent_V1_DesiredTaps {
        try await eventually(timeout: timeout, every: .milliseconds(10), what) { [self] in
            if case .failure(let error)? = record.outcome.withLock({ $0 }) { throw TestFailure("the control channel ended: \(error)") }
            return desiredSets.dropFirst(skipped).first(where: condition)
        }
    }

    /// How the stream ended (the server's error, or nil when it closed cleanly), waiting up to `timeout`.
    func ended(timeout: Duration = .seconds(180)) async throws -> (any Error)? {
        let result = try await eventually(timeout: timeout, every: .milliseconds(10), "the control channel to end") { [self] in
            record.outcome.withLock { $0 }.map { Box($0) }
        }
        if case .failure(let error) = result.value { return error }
        return nil
    }

    /// Closes the agent's side and waits for the stream to end.
    func close() async {
        outbound.finish()
        _ = try? await ended()
        task.withLock { $0 }?.cancel()
    }

    /// Cancels the stream abruptly (as a killed agent would).
    func cancel() {
        task.withLock { $0 }?.cancel()
    }
}

/// One `SendPackets` stream of a ``TestAgent``: batches are sent as the test says; the server's receipt
/// or refusal is recorded when the stream ends.
final class UploadStream: Sendable {
    /// What the stream's task records.
    private final class Record: Sendable {
        let outcome = Mutex<Result<Tapster_Agent_V1_PacketReceipt, any Error>?>(nil)
    }

    private let outbound: AsyncStream<Tapster_Agent_V1_PacketBatch>.Continuation
    private let record = Record()
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(port: Int, identity: ClientIdentity, trust: ServerTrust) {
        let (batches, outbound) = AsyncStream.makeStream(of: Tapster_Agent_V1_PacketBatch.self)
        self.outbound = outbound
        let task = Task { [record] in
            let result: Result<Tapster_Agent_V1_PacketReceipt, any Error>
            do {
                let transport = try HTTP2ClientTransport.Posix(
                    target: .ipv4(address: "127.0.0.1", port: port),
                    transportSecurity: try AgentChannelTLS.client(identity: identity, trust: trust))
                result = .success(try await withGRPCClient(transport: transport) { client in
                    let request = StreamingClientRequest(of: Tapster_Agent_V1_PacketBatch.self) { writer in
                        for await batch in batches { try await writer.write(batch) }
                    }
                    return try await Tapster_Agent_V1_AgentService.Client(wrapping: client).sendPackets(request: request)
                })
            } catch {
                result = .failure(error)
            }
            record.outcome.withLock { $0 = result }
        }
        self.task.withLock { $0 = task }
    }

    func send(_ batch: Tapster_Agent_V1_PacketBatch) {
        outbound.yield(batch)
    }

    /// Whether the stream has ended (the server refused it, or it completed).
    var hasEnded: Bool { record.outcome.withLock { $0 != nil } }

    /// Ends the agent's side; the receipt, or the server's refusal (waiting up to `timeout`).
    func finish(timeout: Duration = .seconds(20)) async throws -> Result<Tapster_Agent_V1_PacketReceipt, any Error> {
        outbound.finish()
        return try await ended(timeout: timeout)
    }

    /// How the stream ended, waiting up to `timeout`, without ending the agent's side.
    func ended(timeout: Duration = .seconds(180)) async throws -> Result<Tapster_Agent_V1_PacketReceipt, any Error> {
        try await eventually(timeout: timeout, every: .milliseconds(10), "the upload stream to end") { [self] in
            record.outcome.withLock { $0 }.map { ReceiptBox($0) }
        }.value
    }

    deinit {
        outbound.finish()
        task.withLock { $0 }?.cancel()
    }
}

/// A receipt's Result made Sendable for ``eventually``.
private struct ReceiptBox: @unchecked Sendable {
    let value: Result<Tapster_Agent_V1_PacketReceipt, any Error>
    init(_ value: Result<Tapster_Agent_V1_PacketReceipt, any Error>) { self.value = value }
}

/// A Result made Sendable for ``eventually``.
private struct Box: @unchecked Sendable {
    let value: Result<Void, any Error>
    init(_ value: Result<Void, any Error>) { self.value = value }
}

extension Tapster_Agent_V1_WorkloadReport {
    /// A namespace workload with one interface.
    static func netns(_ name: String, labels: [String: String], interface: String = "eth0", mac: String = "", ips: [String]) -> Self {
        .with {
            $0.name = name
            $0.kind = "netns"
            $0.netns = name
            $0.labels = labels
            $0.interfaces = [.with { $0.name = interface; $0.mac = mac; $0.ips = ips }]
        }
    }
}
