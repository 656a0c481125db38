import Foundation
import TapsterSystemTestSupport
import Testing
import TapsterClient
import TapsterCore

@Suite("Configuration precedence")
struct ConfigurationTests {
    let saved = StoredLogin(server: "http://tapster.example:7380", token: "saved-token", user: "alice")

    @Test func defaultsWhenNothingIsSet() throws {
        let c = try ClientConfiguration.resolve(serverFlag: nil, tokenFlag: nil, environment: [:], saved: nil)
        #expect(c == ClientConfiguration(server: "http://127.0.0.1:7380", token: nil))
    }

    @Test func savedLoginIsUsedWhenNothingElseIsSet() throws {
        let c = try ClientConfiguration.resolve(serverFlag: nil, tokenFlag: nil, environment: [:], saved: saved)
        #expect(c == ClientConfiguration(server: "http://tapster.example:7380", token: "saved-token"))
    }

    @Test func environmentWinsOverTheSavedLogin() throws {
        let env = ["TAPSTER_SERVER": "http://env:1", "TAPSTER_TOKEN": "env-token"]
        let c = try ClientConfiguration.resolve(serverFlag: nil, tokenFlag: nil, environment: env, saved: saved)
        #expect(c == ClientConfiguration(server: "http://env:1", token: "env-token"))
    }

    @Test func flagsWinOverEnvironmentAndSavedLogin() throws {
        let env = ["TAPSTER_SERVER": "http://env:1", "TAPSTER_TOKEN": "env-token"]
        let c = try ClientConfiguration.resolve(serverFlag: "http://flag:2", tokenFlag: "flag-token", environment: env, saved: saved)
        #expect(c == ClientConfiguration(server: "http://flag:2", token: "flag-token"))
    }

    @Test func emptyEnvironmentVariablesCountAsUnset() throws {
        let env = ["TAPSTER_SERVER": "", "TAPSTER_TOKEN": ""]
        let c = try ClientConfiguration.resolve(serverFlag: nil, tokenFlag: nil, environment: env, saved: saved)
        #expect(c == ClientConfiguration(server: "http://tapster.example:7380", token: "saved-token"))
    }

    @Test func theSavedTokenIsNeverSentToAnotherServer() throws {
        let c = try ClientConfiguration.resolve(serverFlag: "http://elsewhere:7380", tokenFlag: nil, environment: [:], saved: saved)
        #expect(c == ClientConfiguration(server: "http://elsewhere:7380", token: nil))
        let same = try ClientConfiguration.resolve(serverFlag: "tapster.example:7380/", tokenFlag: nil, environment: [:], saved: saved)
        #expect(same.token == "saved-token")
    }

    @Test func serverURLsAreNormalised() throws {
        #expect(try ClientConfiguration.normalize(server: "127.0.0.1:7380") == "http://127.0.0.1:7380")
        #expect(try ClientConfiguration.normalize(server: "https://t.example/") == "https://t.example")
        #expect(throws: TapsterError.self) { try ClientConfiguration.normalize(server: "ftp://x") }
        #expect(throws: TapsterError.self) { try ClientConfiguration.normalize(server: "http://") }
    }

    @Test func configFileLocationFollowsXDGThenHome() {
        #expect(ConfigFile.location(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"])?.path == "/x/tapster/config.json")
        #expect(ConfigFile.location(environment: ["HOME": "/h"])?.path == "/h/.config/tapster/config.json")
        #expect(ConfigFile.location(environment: [:]) == nil)
    }

    @Test func savedFileRoundTripsAndIsPrivate() throws {
        let directory = NSTemporaryDirectory() + "tapster-config-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = try #require(ConfigFile.location(environment: ["XDG_CONFIG_HOME": directory]))
        #expect(try file.load() == nil)
        try file.save(saved)
        #expect(try file.load() == saved)
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let text = try String(contentsOfFile: file.path, encoding: .utf8)
        #expect(text.contains(#""server" : "http://tapster.example:7380""#))
    }
}
