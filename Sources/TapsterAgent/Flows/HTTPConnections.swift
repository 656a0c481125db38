/// Where a direction of a connection is in the HTTP/1.x grammar, byte by byte: request or status line,
/// header lines, then a body skipped by its length, its chunks, or until the connection closes.
enum HTTPPhase: UInt8 {
    /// A request's method, or a response's `HTTP/x.y `.
    case start
    case target, targetRest, version
    case statusCode, reason
    case lineStart, name, value, skipLine
    case body, chunkSize, chunkExtension, chunkData, chunkEnd, trailerStart, trailerSkip
    /// A body without a length (read until close), or a switched protocol: nothing more is read.
    case untilClose
    /// Reading failed (counted), or the connection is not HTTP.
    case stopped
}

/// One direction's reading state: plain data, copied in and out around a segment.
struct HTTPStreamState {
    var phase = HTTPPhase.start
    var nextSequence: UInt32 = 0
    var sequenceKnown = false
    /// Bytes of the current token read (method, `HTTP/` and version, status digits, chunk size digits).
    var count: UInt32 = 0
    /// While reading a header name, the candidates still matching (bits of ``HTTPConnections/headerNames``);
    /// while reading a value, the header's bit.
    var header: UInt8 = 0
    var headerPosition: UInt8 = 0
    var valueStarted = false
    var contentLength: UInt64 = 0
    var hasContentLength = false
    var chunked = false
    var chunkedMatch: UInt8 = 0
    var bodyLeft: UInt64 = 0
    /// The request being read (its exchange number), if it is held.
    var exchange: UInt32 = 0
    var hasExchange = false
    /// The response being read: its status, whether it can have a body, when its first packet came.
    var status: UInt16 = 0
    var noBody = false
    var startedAt: UInt64 = 0

    /// Back to the start of the next message.
    mutating func nextMessage() {
        phase = .start
        count = 0
        contentLength = 0
        hasContentLength = false
        chunked = false
        chunkedMatch = 0
        bodyLeft = 0
        hasExchange = false
        status = 0
        noBody = false
    }
}

/// One connection's HTTP reading: both directions, and its exchanges — numbered in request order, held in the
/// connection's ring of ``FlowLimits/exchangesPerConnection`` slots from `first` on, the oldest `answered`
/// of them answered.
struct HTTPConnectionState {
    var request = HTTPStreamState()
    var response = HTTPStreamState()
    var first: UInt32 = 0
    var count: UInt32 = 0
    var answered: UInt32 = 0
    /// Responses still to come for requests that were not held (the ring was full): passed over once the held
    /// requests are answered.
    var skipResponses: UInt32 = 0
    var failed = false
}

/// The HTTP/1.x reading of a flow table's TCP connections: a fixed pool of connection states and their
/// exchanges, reserved once. Reads request lines (method, path up to its query, the Host header) and status
/// lines, skips bodies by `Content-Length` or chunked encoding, and pairs responses with requests in order
/// (pipelining up to ``FlowLimits/exchangesPerConnection``). Nothing else of a message is kept — no other
/// header, no query, no body byte. Only in-order bytes are read: a gap in the sequence numbers (a packet the
/// capture missed), a header cut by the snap length or text that breaks the grammar stops the connection's
/// reading, counted once in ``unparsed``.
///
/// Owned by one capture thread (the table's); never allocates after `init`.
final class HTTPConnections {
    let capacity: Int
    let exchangesPerConnection: Int
    private let states: UnsafeMutablePointer<HTTPConnectionState>
    /// The exchanges, `exchangesPerConnection` per connection.
    let exchanges: HTTPExchangeStore
    private let free: UnsafeMutablePointer<Int32>
    private var freeCount: Int
    /// Connections (or requests) that could not be read, since the table began.
    private(set) var unparsed: UInt64 = 0
    /// The connection ``feed(_:fromClient:sequence:wireLength:captured:at:)`` is reading.
    private var currentConnection: Int32 = 0

    /// The header names read, as bits of ``HTTPStreamState/header``.
    static let host: UInt8 = 1, contentLength: UInt8 = 2, transferEncoding: UInt8 = 4
    private static let hostName = Array("host".utf8), contentLengthName = Array("content-length".utf8),
                       transferEncodingName = Array("transfer-encoding".utf8), chunkedToken = Array("chunked".utf8),
                       httpPrefix = Array("HTTP/".utf8)
    /// The request methods a connection's first bytes must begin with (and a space) to be read as HTTP.
    private static let methods: [[UInt8]] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"]
        .map { Array($0.utf8) + [0x20] }

    init(capacity: Int, exchangesPerConnection: Int) {
        self.capacity = capacity
        self.exchangesPerConnection = exchangesPerConnection
        states = .allocate(capacity: max(capacity, 1))
        states.initialize(repeating: HTTPConnectionState(), count: max(capacity, 1))
        exchanges = HTTPExchangeStore(capacity: max(capacity * exchangesPerConnection, 1))
        free = .allocate(capacity: max(capacity, 1))
        for index in 0..<capacity { free[index] = Int32(capacity - 1 - index) }
        freeCount = capacity
    }

    deinit {
        states.deallocate()
        free.deallocate()
    }

    /// Whether a client's first payload begins like an HTTP/1.x request (a known method and a space).
    static func looksLikeRequest(_ payload: UnsafeRawBufferPointer) -> Bool {
        methods.contains { method in
            payload.count >= method.count && method.indices.allSatisfy { payload[$0] == method[$0] }
        }
    }

    /// A connection state for a new HTTP connection, or nil (counted) when all are in use.
    func open() -> Int32? {
        guard freeCount > 0 else {
            unparsed &+= 1
            return nil
        }
        freeCount -= 1
        let connection = free[freeCount]
        states[Int(connection)] = HTTPConnectionState()
        return connection
    }

    /// Gives a connection back when its flow leaves the table; its requests still unanswered are counted.
    func close(_ connection: Int32) {
        let state = states[Int(connection)]
        if !state.failed { unparsed &+= UInt64(state.count - state.answered) }
        free[freeCount] = connection
        freeCount += 1
    }

    /// The slot in ``exchanges`` of exchange `number` of `connection`.
    @inline(__always)
    func slot(_ connection: Int32, _ number: UInt32) -> Int {
        Int(connection) * exchangesPerConnection + Int(number % UInt32(exchangesPerConnection))
    }

    /// The answered exchanges of `connection`: the first's number, and how many.
    func answered(_ connection: Int32) -> (first: UInt32, count: Int) {
        let state = states[Int(connection)]
        return (state.first, Int(state.answered))
    }

    /// Whether half the connection's ring holds answered exchanges: its flow should send a record before
    /// more requests come.
    func isFilling(_ connection: Int32) -> Bool {
        Int(states[Int(connection)].answered) * 2 >= exchangesPerConnection
    }

    /// Forgets the oldest `count` answered exchanges (their record has them).
    func release(_ connection: Int32, answered count: Int) {
        let state = states + Int(connection)
        let released = UInt32(min(count, Int(state.pointee.answered)))
        state.pointee.first &+= released
        state.pointee.count -= released
        state.pointee.answered -= released
    }

    /// Reads one TCP segment: `sequence` its first sequence number, `wireLength` its payload's length on the
    /// wire, `captured` the part the capture kept, `time` its timestamp.
    func feed(_ connection: Int32, fromClient: Bool, sequence: UInt32, wireLength: Int, captured: UnsafeRawBufferPointer, at time: UInt64) {
        currentConnection = connection
        let pointer = states + Int(connection)
        var state = pointer.pointee
        defer { pointer.pointee = state }
        guard !state.failed, wireLength > 0 else { return }
        var stream = fromClient ? state.request : state.response
        if !stream.sequenceKnown {
            stream.sequenceKnown = true
            stream.nextSequence = sequence
        }
        let distance = Int32(bitPattern: sequence &- stream.nextSequence)
        // A gap: bytes the capture never saw (or reordered). The grammar cannot be followed across it.
        guard distance <= 0 else { return fail(&state) }
        // Already read (a retransmission), in part or whole.
        let already = Int(-distance)
        guard already < wireLength else { return }
        stream.nextSequence = sequence &+ UInt32(truncatingIfNeeded: wireLength)
        if already < captured.count {
            let fresh = UnsafeRawBufferPointer(rebasing: captured[already...])
            read(fresh, &stream, &state, at: time, request: fromClient)
        }
        // The part the snap length cut: only a body can be skipped without reading it.
        let missing = wireLength - max(captured.count, already)
        if missing > 0, !state.failed, !skipUnread(UInt64(missing), &stream) { return fail(&state) }
        guard !state.failed else { return }
        if fromClient { state.request = stream } else { state.response = stream }
    }

    private func fail(_ state: inout HTTPConnectionState) {
        guard !state.failed else { return }
        state.failed = true
        state.request.phase = .stopped
        state.response.phase = .stopped
        unparsed &+= 1 + UInt64(state.count - state.answered)
        // What was answered stays, for the flow's next record.
        state.count = state.answered
    }

    /// Skips `bytes` that were not captured; false when they were not body bytes.
    private func skipUnread(_ bytes: UInt64, _ stream: inout HTTPStreamState) -> Bool {
        switch stream.phase {
        case .untilClose: return true
        case .body, .chunkData:
            guard bytes <= stream.bodyLeft else { return false }
            stream.bodyLeft -= bytes
            if stream.bodyLeft == 0 { stream.phase = stream.phase == .body ? .start : .chunkEnd }
            if stream.phase == .start { stream.nextMessage() }
            return true
        default: return false
        }
    }

    // MARK: Requests

    /// Reads a direction's new bytes: bodies skipped in one step, everything else byte by byte.
    private func read(_ bytes: UnsafeRawBufferPointer, _ stream: inout HTTPStreamState, _ state: inout HTTPConnectionState,
                      at time: UInt64, request: Bool) {
        var index = 0
        while index < bytes.count, !state.failed {
            switch stream.phase {
            case .body, .chunkData, .untilClose, .stopped:
                index += skipBody(bytes.count - index, &stream)
                continue
            default: break
            }
            if request {
                readRequest(bytes[index], &stream, &state, at: time)
            } else {
                readResponse(bytes[index], &stream, &state, at: time)
            }
            index += 1
        }
    }

    private func readRequest(_ byte: UInt8, _ stream: inout HTTPStreamState, _ state: inout HTTPConnectionState, at time: UInt64) {
        switch stream.phase {
        case .start:
            if (byte >= 0x41 && byte <= 0x5A) || byte == 0x2D || byte == 0x5F {
                if stream.count == 0 { beginExchange(&stream, &state, at: time) }
                stream.count += 1
                if stream.hasExchange {
                    let slot = slot(currentConnection, stream.exchange)
                    if !exchanges[slot].appendMethod(byte) { fail(&state) }
                } else if stream.count > UInt32(FlowLimits.methodBytes) {
                    fail(&state)
                }
            } else if byte == 0x20, stream.count > 0 {
                stream.phase = .target
            } else if stream.count == 0, byte == 0x0D || byte == 0x0A {
                return
            } else {
                fail(&state)
            }
        case .target:
            switch byte {
            case 0x20: stream.phase = .version
            case 0x3F, 0x23: stream.phase = .targetRest
            case 0x0D, 0x0A: fail(&state)
            default:
                if stream.hasExchange { exchanges.appendPath(slot(currentConnection, stream.exchange), byte) }
            }
        case .targetRest:
            // The query and fragment are read past, never kept.
            if byte == 0x20 { stream.phase = .version } else if byte == 0x0A { fail(&state) }
        case .version:
            if byte == 0x0A { startHeaders(&stream) }
        default:
            if readCommon(byte, &stream, &state, request: true) { endOfRequestHeaders(&stream) }
        }
    }

    private func beginExchange(_ stream: inout HTTPStreamState, _ state: inout HTTPConnectionState, at time: UInt64) {
        // No room, or requests already skipped: this one is not kept either, so every kept request comes before
        // every skipped one, and the responses pair in order — the kept first, then the skipped ones passed over.
        guard Int(state.count) < exchangesPerConnection, state.skipResponses == 0 else {
            stream.hasExchange = false
            state.skipResponses += 1
            unparsed &+= 1
            return
        }
        let number = state.first &+ state.count
        state.count += 1
        stream.exchange = number
        stream.hasExchange = true
        exchanges.begin(slot(currentConnection, number), at: time)
    }

    private func endOfRequestHeaders(_ stream: inout HTTPStreamState) {
        if stream.chunked {
            stream.phase = .chunkSize
            stream.count = 0
            stream.bodyLeft = 0
        } else if stream.hasContentLength, stream.contentLength > 0 {
            stream.phase = .body
            stream.bodyLeft = stream.contentLength
        } else {
            stream.nextMessage()
        }
    }

    // MARK: Responses

    private func readResponse(_ byte: UInt8, _ stream: inout HTTPStreamState, _ state: inout HTTPConnectionState, at time: UInt64) {
        switch stream.phase {
        case .start:
            if stream.count == 0, byte == 0x0D || byte == 0x0A { return }
            if stream.count == 0 { stream.startedAt = time }
            if stream.count < 5 {
                guard byte == Self.httpPrefix[Int(stream.count)] else { return fail(&state) }
                stream.count += 1
            } else if byte == 0x20 {
                stream.phase = .statusCode
                stream.count = 0
                stream.status = 0
            } else if byte == 0x0A || stream.count > 16 {
                fail(&state)
            } else {
                stream.count += 1
            }
        case .statusCode:
            guard byte >= 0x30, byte <= 0x39 else { return fail(&state) }
            stream.status = stream.status * 10 + UInt16(byte - 0x30)
            stream.count += 1
            if stream.count == 3 {
                stream.phase = .reason
                answer(&stream, &state)
            }
        case .reason:
            if byte == 0x0A { startHeaders(&stream) }
        default:
            if readCommon(byte, &stream, &state, request: false) { endOfResponseHeaders(&stream) }
        }
    }

    /// A status line was read: pairs it with the oldest unanswered request.
    private func answer(_ stream: inout HTTPStreamState, _ state: inout HTTPConnectionState) {
        let status = stream.status
        stream.noBody = status < 200 || status == 204 || status == 304
        // An interim response (100 Continue, 103 Early Hints) is followed by the real one.
        guard status >= 200 || status == 101 else { return }
        guard state.answered < state.count else {
            guard state.skipResponses > 0 else { return fail(&state) }
            state.skipResponses -= 1
            return
        }
        let slot = slot(currentConnection, state.first &+ state.answered)
        if exchanges[slot].isHead { stream.noBody = true }
        exchanges[slot].status = status
        exchanges[slot].responseAt = stream.startedAt
        state.answered += 1
    }

    private func endOfResponseHeaders(_ stream: inout HTTPStreamState) {
        if stream.status == 101 {
            stream.phase = .untilClose
        } else if stream.noBody {
            stream.nextMessage()
        } else if stream.chunked {
            stream.phase = .chunkSize
            stream.count = 0
            stream.bodyLeft = 0
        } else if stream.hasContentLength {
            if stream.contentLength > 0 {
                stream.phase = .body
                stream.bodyLeft = stream.contentLength
            } else {
                stream.nextMessage()
            }
        } else {
            stream.phase = .untilClose
        }
    }

    // MARK: Both directions

    private func startHeaders(_ stream: inout HTTPStreamState) {
        stream.phase = .lineStart
        stream.contentLength = 0
        stream.hasContentLength = false
        stream.chunked = false
    }

    /// Reads one byte of headers or chunk framing; true at the end of the header block.
    private func readCommon(_ byte: UInt8, _ stream: inout HTTPStreamState, _ state: inout HTTPConnectionState, request: Bool) -> Bool {
        switch stream.phase {
        case .lineStart:
            switch byte {
            case 0x0A: return true
            case 0x0D: break
            case 0x20, 0x09: stream.phase = .skipLine
            default:
                stream.phase = .name
                stream.header = request ? (Self.host | Self.contentLength | Self.transferEncoding) : (Self.contentLength | Self.transferEncoding)
                stream.headerPosition = 0
                matchName(byte, &stream)
            }
        case .name:
            if byte == 0x3A {
                stream.header = chosenHeader(stream)
                stream.valueStarted = false
                stream.chunkedMatch = 0
                stream.phase = stream.header == 0 ? .skipLine : .value
            } else if byte == 0x0A {
                stream.phase = .lineStart
            } else {
                matchName(byte, &stream)
            }
        case .value:
            if byte == 0x0A {
                if stream.header == Self.host, stream.hasExchange { exchanges.trimHost(slot(currentConnection, stream.exchange)) }
                stream.phase = .lineStart
            } else {
                readValue(byte, &stream)
            }
        case .skipLine:
            if byte == 0x0A { stream.phase = .lineStart }
        case .chunkSize, .chunkExtension:
            if byte == 0x0A {
                guard stream.count > 0 else { fail(&state); break }
                stream.phase = stream.bodyLeft == 0 ? .trailerStart : .chunkData
            } else if stream.phase == .chunkSize, let digit = Self.hexValue(byte) {
                guard stream.count < 16 else { fail(&state); break }
                stream.bodyLeft = stream.bodyLeft << 4 | UInt64(digit)
                stream.count += 1
            } else if byte == 0x0D {
                break
            } else if stream.phase == .chunkSize, byte == 0x3B || byte == 0x20 || byte == 0x09 {
                stream.phase = .chunkExtension
            } else if stream.phase == .chunkSize {
                fail(&state)
            }
        case .chunkEnd:
            if byte == 0x0A {
                stream.phase = .chunkSize
                stream.count = 0
                stream.bodyLeft = 0
            }
        case .trailerStart:
            if byte == 0x0A {
                stream.nextMessage()
            } else if byte != 0x0D {
                stream.phase = .trailerSkip
            }
        case .trailerSkip:
            if byte == 0x0A { stream.phase = .trailerStart }
        default:
            fail(&state)
        }
        return false
    }

    /// Skips body bytes (up to `available`) in one step; returns how many.
    @inline(__always)
    private func skipBody(_ available: Int, _ stream: inout HTTPStreamState) -> Int {
        switch stream.phase {
        case .body, .chunkData:
            let taken = Int(min(UInt64(available), stream.bodyLeft))
            stream.bodyLeft -= UInt64(taken)
            if stream.bodyLeft == 0 {
                if stream.phase == .body { stream.nextMessage() } else { stream.phase = .chunkEnd }
            }
            return taken
        default:
            return available
        }
    }

    private func matchName(_ byte: UInt8, _ stream: inout HTTPStreamState) {
        let lower = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
        let position = Int(stream.headerPosition)
        // Three names, checked one by one: a literal array of them here would be allocated per byte.
        if stream.header & Self.host != 0, position >= Self.hostName.count || Self.hostName[position] != lower {
            stream.header &= ~Self.host
        }
        if stream.header & Self.contentLength != 0, position >= Self.contentLengthName.count || Self.contentLengthName[position] != lower {
            stream.header &= ~Self.contentLength
        }
        if stream.header & Self.transferEncoding != 0,
           position >= Self.transferEncodingName.count || Self.transferEncodingName[position] != lower {
            stream.header &= ~Self.transferEncoding
        }
        if stream.headerPosition < 255 { stream.headerPosition += 1 }
    }

    private func chosenHeader(_ stream: HTTPStreamState) -> UInt8 {
        let length = Int(stream.headerPosition)
        if stream.header & Self.host != 0, length == Self.hostName.count { return Self.host }
        if stream.header & Self.contentLength != 0, length == Self.contentLengthName.count { return Self.contentLength }
        if stream.header & Self.transferEncoding != 0, length == Self.transferEncodingName.count { return Self.transferEncoding }
        return 0
    }

    private func readValue(_ byte: UInt8, _ stream: inout HTTPStreamState) {
        if !stream.valueStarted {
            if byte == 0x20 || byte == 0x09 { return }
            stream.valueStarted = true
        }
        switch stream.header {
        case Self.host:
            if stream.hasExchange, byte != 0x0D { exchanges.appendHost(slot(currentConnection, stream.exchange), byte) }
        case Self.contentLength:
            if byte >= 0x30, byte <= 0x39 {
                let (times, overflow) = stream.contentLength.multipliedReportingOverflow(by: 10)
                stream.contentLength = overflow ? .max : times &+ UInt64(byte - 0x30)
                stream.hasContentLength = true
            }
        default:
            let lower = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            if lower == Self.chunkedToken[Int(stream.chunkedMatch)] {
                stream.chunkedMatch += 1
                if Int(stream.chunkedMatch) == Self.chunkedToken.count {
                    stream.chunked = true
                    stream.chunkedMatch = 0
                }
            } else {
                stream.chunkedMatch = lower == Self.chunkedToken[0] ? 1 : 0
            }
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x61...0x66: byte - 0x61 + 10
        case 0x41...0x46: byte - 0x41 + 10
        default: nil
        }
    }
}
