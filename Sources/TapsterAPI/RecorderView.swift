import Foundation
import TapsterCore

/// `GET /api/v1/recorders[/{ref}]`: a recorder as the admin defined it, with what each host's agent last
/// reported of it (memory held, packets, the oldest packet's age, evictions and drops).
public struct RecorderView: Codable, Sendable, Equatable {
    public var recorder: Recorder
    public var hosts: [RecorderHostStatus]

    public init(recorder: Recorder, hosts: [RecorderHostStatus]) {
        self.recorder = recorder
        self.hosts = hosts
    }
}

/// A recorder view is paged as its recorder is.
extension RecorderView: Pageable {
    public var pageKey: PageKey { recorder.pageKey }
}
