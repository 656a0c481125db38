import Foundation
import TapsterAPI
import TapsterCore

extension ApprovalSettings: TableRenderable {
    public static var resourceKind: String { "policy" }
    public static var columns: [Column<ApprovalSettings>] {
        [
            Column(ApprovalPolicy.fullPayloadSetting.uppercased()) { $0.approvalForFullPayload ? "on" : "off" },
            Column("APPROVAL-TIMEOUT") { $0.approvalTimeout?.description ?? "" },
        ]
    }
    public var outputName: String { ApprovalPolicy.fullPayloadSetting }
}
