/// Why a token was not accepted, naming the claim, header or key that failed — what an identity team needs
/// to fix a provider's set-up. Never contains the token itself.
public struct TokenRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
