import Testing
import TapsterProcess
@testable import TapsterServer

/// What `tapster serve` sets in glibc's allocator at start, and that the operator's environment wins. (Only the
/// choice: setting it in the test process would change the heap the other tests, the heap trimmer's among them,
/// run on.)
@Suite("Server process memory")
struct ServerProcessMemoryTests {
    @Test("by default the server maps blocks from 32 KiB up on their own: the TLS read buffer each connection keeps is one")
    func mapsTheConnectionsLargeBuffersOnTheirOwn() {
        #expect(ServerProcessMemory.settings(environment: [:]) == [.mmapThreshold: 32 << 10])
    }

    @Test("a threshold the environment sets, by either of glibc's names, wins", arguments: [
        ["MALLOC_MMAP_THRESHOLD_": "131072"],
        ["GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=65536"],
        ["GLIBC_TUNABLES": "glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=65536"],
    ])
    func theEnvironmentWins(environment: [String: String]) {
        #expect(ServerProcessMemory.settings(environment: environment).isEmpty)
    }

    @Test("other tunables in the environment leave the threshold to the server")
    func otherTunablesDoNotCount() {
        let environment = ["GLIBC_TUNABLES": "glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=262144", "MALLOC_ARENA_MAX": "4"]
        #expect(ServerProcessMemory.settings(environment: environment) == [.mmapThreshold: 32 << 10])
    }
}
