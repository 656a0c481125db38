import Logging
import Synchronization

/// A log handler that keeps what is logged, for tests asserting what an operator would read.
struct RecordingLogHandler: LogHandler {
    /// The messages logged through any handler made from it, in order.
    final class Messages: Sendable {
        private let lines = Mutex<[(level: Logger.Level, message: String)]>([])

        func append(_ level: Logger.Level, _ message: String) { lines.withLock { $0.append((level, message)) } }

        /// The messages at `level` or above.
        func messages(atLeast level: Logger.Level) -> [String] {
            lines.withLock { $0.filter { $0.level >= level }.map(\.message) }
        }
    }

    let messages: Messages
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    /// A logger whose messages go to `messages`.
    static func logger(_ messages: Messages) -> Logger {
        Logger(label: "test") { _ in RecordingLogHandler(messages: messages) }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        messages.append(event.level, event.message.description)
    }
}
