import ArgumentParser
import Foundation
import Logging
import TapsterCore
import TapsterServer

/// `tapster serve`: runs the control plane (API, portal, scheduler).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Tapster control plane.",
        discussion: """
            On first start it creates the admin account and prints its one-time password and API token once; \
            set TAPSTER_ADMIN_TOKEN to choose that token. Data lives in --data-dir (SQLite) unless --database-url \
            names a PostgreSQL server.
            """)

    @Option(name: .long, help: "Address to listen on (HOST:PORT). Loopback unless you say otherwise.")
    var listen = "127.0.0.1:\(ServerConfiguration.defaultPort)"

    @Option(name: .long, help: "Directory for Tapster's data (the SQLite database, captures).")
    var dataDir = "./tapster-data"

    @Option(name: .long, help: "postgres://user:password@host:port/database to use PostgreSQL instead of SQLite.")
    var databaseURL: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        let (host, port): (String, Int)
        do {
            (host, port) = try ServerConfiguration.parseListen(listen)
        } catch {
            throw ValidationError(error.message)
        }
        let environment = ProcessInfo.processInfo.environment
        let configuration = ServerConfiguration(
            host: host, port: port, dataDirectory: dataDir,
            databaseURL: databaseURL ?? environment["TAPSTER_DATABASE_URL"],
            initialAdminToken: environment["TAPSTER_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "tapster")
        logger.logLevel = logLevel
        try await TapsterServer.run(configuration, logger: logger)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
