import Foundation
import TapsterCore

extension CaptureReaderEntitlement: TableRenderable {
    public static var resourceKind: String { "reader" }
    public static var columns: [Column<CaptureReaderEntitlement>] {
        [
            Column("USER") { $0.user },
            Column("USER ID") { $0.userId },
            Column("GRANTED BY") { $0.grantedBy },
            .age(\.grantedAt),
        ]
    }
    public var outputName: String { user }
}
