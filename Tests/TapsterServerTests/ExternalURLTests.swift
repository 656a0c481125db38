import Testing
import TapsterCore
import TapsterServer

/// `tapster serve --external-url`: the one source of the absolute links the server hands out.
@Suite struct ExternalURLTests {
    @Test func aLinkIsThePathUnderTheConfiguredURLWithoutItsTrailingSlash() throws {
        let base = try ExternalURL(parsing: "https://tapster.example.com/net/")
        #expect(base.absolute("/api/v1/captures/c/download?x=1") == "https://tapster.example.com/net/api/v1/captures/c/download?x=1")
    }

    @Test(arguments: ["ftp://tapster.example.com", "https://", "https://tapster.example.com/?next=x", "https://user:pw@tapster.example.com",
                      "https://tapster.example.com/\tx", "tapster.example.com", "https://tapster.example.com/#top"])
    func anythingButAPlainHTTPURLIsRefused(text: String) {
        #expect(throws: TapsterError.self) { try ExternalURL(parsing: text) }
    }
}
