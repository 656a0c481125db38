import ArgumentParser
import TapsterClient
import TapsterCore

extension ApprovalRequirement: ExpressibleByArgument {}

/// `tapster policy …`: server-wide rules an admin sets.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Show or set server-wide policy (four-eyes approval).",
        subcommands: [Show.self, SetCommand.self])

    /// `tapster policy show`.
    struct Show: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Show the approval policy and the server's approval timeout.")
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.showApprovalPolicy()
        }
    }

    /// `tapster policy set approval-for-full-payload on|off`.
    struct SetCommand: ClientCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Set a policy: approval-for-full-payload on|off.",
            discussion: "With it on, an owner's tap through a grant to a full-payload target waits for another admin's approval, "
                + "unless the grant says `--approval none`.")
        @Argument(help: "The setting: approval-for-full-payload.") var setting: String
        @Argument(help: "on or off.") var value: String
        @OptionGroup var options: ClientOptions

        func validate() throws {
            guard setting == ApprovalPolicy.fullPayloadSetting else {
                throw ValidationError("unknown policy \"\(setting)\"; the one setting is \(ApprovalPolicy.fullPayloadSetting)")
            }
            guard value == "on" || value == "off" else { throw ValidationError("\(setting) is on or off, not \"\(value)\"") }
        }

        func run(_ session: CommandSession) async throws {
            try await session.setApprovalForFullPayload(value == "on")
        }
    }
}
