import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import TapsterCore
@testable import TapsterServer
import TapsterStore
import TapsterTestSupport

/// A real Tapster application on a fresh database of one kind, listening on a loopback port
/// for the duration of a test, with the first admin created (token ``TestServer/adminToken``).
enum TestServer {
    static let adminToken = "tap_test_admin_token_0123456789abcdef"
    /// bcrypt's minimum work factor: real bcrypt, fast enough for a hundred servers on 2 cores.
    static let passwordCost: UInt8 = 4
    /// At most this many live servers at once, so that a 2-core machine answers every request in time.
    static let slots = AsyncSemaphore(4)

    static var logger: Logger {
        var logger = Logger(label: "tapster-test")
        logger.logLevel = .warning
        return logger
    }

    /// Runs `body` against a server on a new database, which is dropped afterwards (even on failure).
    static func run<T: Sendable>(_ kind: StoreKind, clock: @escaping @Sendable () -> Date = { Date() },
                                 captures: CaptureSettings = CaptureSettings(), approvalTimeout: TapDuration = ApprovalPolicy.defaultTimeout,
                                 _ body: @Sendable (API, ControlPlane) async throws -> T) async throws -> T {
        try await slots.run {
            try await TestDatabase.with(kind) { database in
                try await serve(database.store, clock: clock, captures: captures, approvalTimeout: approvalTimeout, body)
            }
        }
    }

    /// Serves `store` until `body` returns: bootstrap, start-up expiry, then the live application.
    static func serve<T: Sendable>(_ store: any Store, clock: @escaping @Sendable () -> Date = { Date() },
                                   captures: CaptureSettings = CaptureSettings(), approvalTimeout: TapDuration = ApprovalPolicy.defaultTimeout,
                                   _ body: @Sendable (API, ControlPlane) async throws -> T) async throws -> T {
        let controlPlane = ControlPlane(store: store, clock: clock, passwordCost: passwordCost, captureSettings: captures,
                                        approvalTimeout: approvalTimeout, logger: logger)
        _ = try await Bootstrap.run(controlPlane.identity, adminToken: adminToken)
        try await controlPlane.taps.expireDueTaps()
        let app = TapsterServer.makeApplication(controlPlane: controlPlane, configuration: ServerConfiguration(port: 0), logger: logger)
        return try await app.test(.live) { client in try await body(API(client: client), controlPlane) }
    }
}
