import Foundation
import NIOCore
import NIOHTTP1

extension S3ObjectStore {
    public func list(prefix: String) async throws -> [StoredObject] {
        try ObjectKey.validatePrefix(prefix)
        let fullPrefix = configuration.keyPrefix + prefix
        var objects: [StoredObject] = []
        var continuation: String?
        repeat {
            var query: [(name: String, value: String)] = [
                ("list-type", "2"), ("prefix", fullPrefix), ("max-keys", String(configuration.listPageSize)),
            ]
            if let continuation { query.append(("continuation-token", continuation)) }
            let body = try await executeReadingAll(S3Call(
                operation: "ListObjectsV2", method: .GET, objectName: nil, resource: configuration.bucket, query: query)).body
            let root = try parseXML(body, operation: "ListObjectsV2", resource: configuration.bucket)
            for entry in root.all("Contents") {
                guard let name = entry.text(of: "Key"), name.hasPrefix(configuration.keyPrefix),
                    let size = entry.text(of: "Size").flatMap(Int64.init),
                    let modified = entry.text(of: "LastModified").flatMap(HTTPDate.iso8601)
                else {
                    throw S3ClientError.malformedResponse(
                        operation: "ListObjectsV2", resource: configuration.bucket,
                        detail: "an entry lacks Key, Size or LastModified")
                }
                objects.append(StoredObject(
                    key: String(name.dropFirst(configuration.keyPrefix.count)), size: size, lastModified: modified,
                    etag: entry.text(of: "ETag").map(Self.unquote)))
            }
            continuation = root.text(of: "IsTruncated") == "true" ? root.text(of: "NextContinuationToken") : nil
        } while continuation != nil
        return objects.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }
}
