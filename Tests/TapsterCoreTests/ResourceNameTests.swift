import Testing
import TapsterCore

@Suite("ResourceName")
struct ResourceNameTests {
    static let charactersMessage = "must be lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit"

    @Test("accepts 1–63 lowercase letters, digits, '-', '_', '.', alphanumeric at both ends", arguments: [
        "a", "7", "web", "web-1", "db_2.prod", "0abc", "a.b-c_d", String(repeating: "x", count: 63),
    ])
    func accepts(name: String) throws {
        #expect(try ResourceName.validate(name) == name)
    }

    @Test("rejects the empty name")
    func rejectsEmpty() {
        #expect(throws: TapsterError.invalid("name", "must not be empty")) { try ResourceName.validate("") }
    }

    @Test("rejects names longer than 63 characters")
    func rejectsTooLong() {
        let name = String(repeating: "x", count: 64)
        #expect(throws: TapsterError.invalid("name", "\"\(name)\" is longer than 63 characters")) { try ResourceName.validate(name) }
    }

    @Test("rejects uppercase, other characters, and punctuation at either end", arguments: [
        "Web", "-web", "web-", ".web", "web.", "_web", "web_", "we b", "wéb", "web/1", "web:1", "ｗeb", "web\n",
    ])
    func rejectsCharacters(name: String) {
        #expect(throws: TapsterError.invalid("name", "\"\(name)\" \(Self.charactersMessage)")) { try ResourceName.validate(name) }
    }

    @Test("names the field it was given in the error")
    func namesTheField() {
        #expect(throws: TapsterError.invalid("tenant", "\"Shop\" \(Self.charactersMessage)")) {
            try ResourceName.validate("Shop", field: "tenant")
        }
        #expect(throws: TapsterError.invalid("filter", "must not be empty")) { try ResourceName.validate("", field: "filter") }
    }

    @Test("the maximum length is 63, as for Kubernetes names")
    func maximumLength() {
        #expect(ResourceName.maximumLength == 63)
    }
}
