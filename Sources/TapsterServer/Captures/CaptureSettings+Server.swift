import AsyncHTTPClient
import Foundation
import Logging
import TapsterCore
import TapsterObjectStore

extension CaptureSettings {
    /// The settings `tapster serve` runs with: its buffer budget; the capture store — S3 when
    /// `--capture-store s3://…` names it (the bucket is created if needed), else the filesystem under
    /// `<data dir>/captures`; the download URL key kept in `<data dir>/download-signing.key`.
    static func forServer(_ configuration: ServerConfiguration, logger: Logger) async throws -> CaptureSettings {
        guard configuration.captureBuffer >= 64 << 10 else {
            throw TapsterError.invalid("capture-buffer", "\(ByteCount(bytes: UInt64(max(0, configuration.captureBuffer)))) is less than the 64KiB a capture needs")
        }
        if let total = configuration.captureTotalBuffer, total < configuration.captureBuffer {
            throw TapsterError.invalid("capture-total-buffer", "\(ByteCount(bytes: UInt64(max(0, total)))) is less than one capture's "
                                       + "--capture-buffer (\(ByteCount(bytes: UInt64(configuration.captureBuffer))))")
        }
        let objectStore: any ObjectStore
        if let location = configuration.captureStore {
            let s3: S3Configuration
            do {
                s3 = try S3Configuration(parsing: location)
            } catch {
                throw TapsterError.invalid("capture-store", error.description)
            }
            let store = S3ObjectStore(configuration: s3, httpClient: HTTPClient.shared, logger: logger)
            try await store.createBucket()
            objectStore = store
        } else {
            objectStore = FilesystemObjectStore(root: configuration.capturesDirectory)
        }
        let key = try DownloadSigningKey.loadOrCreate(in: URL(fileURLWithPath: configuration.dataDirectory, isDirectory: true))
        var settings = CaptureSettings(bufferBudget: configuration.captureBuffer, objectStore: objectStore, signingKey: key)
        settings.externalURL = configuration.externalURL
        settings.totalBufferBudget = configuration.captureTotalBuffer
        if let floor = configuration.captureStoreFreeFloor { settings.storeFreeSpaceFloor = floor }
        let replica = try configuration.replicaIdentity
        settings.replica = CaptureReplica(name: replica.name, agentAddress: replica.agentAddress)
        return settings
    }
}
