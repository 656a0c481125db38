import Foundation
import TapsterCore

/// The spec of a stored ``Record`` kind (tenant, target, filter, grant, workload) that the CLI
/// prints: it declares the record's columns, since `Record` itself is one generic type.
public protocol RenderableSpec: Codable, Sendable, Equatable {
    static var resourceKind: String { get }
    static var recordColumns: [Column<Record<Self>>] { get }
    /// The record's name for `-o name`.
    static func outputName(of record: Record<Self>) -> String
}

extension Record: TableRenderable where Spec: RenderableSpec {
    public static var resourceKind: String { Spec.resourceKind }
    public static var columns: [Column<Record<Spec>>] { Spec.recordColumns }
    public var outputName: String { Spec.outputName(of: self) }
}
