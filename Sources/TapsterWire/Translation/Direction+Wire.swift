import TapsterCore

extension Direction {
    /// The direction a `TapAssignment` carries; a value newer than this build means both ways.
    public init(_ message: Tapster_Agent_V1_Direction) {
        switch message {
        case .in: self = .in
        case .out: self = .out
        case .both, .UNRECOGNIZED: self = .both
        }
    }
}

extension Tapster_Agent_V1_Direction {
    /// `direction` on the wire.
    public init(_ direction: Direction) {
        switch direction {
        case .in: self = .in
        case .out: self = .out
        case .both: self = .both
        }
    }
}
