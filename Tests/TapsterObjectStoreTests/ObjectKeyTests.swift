import Testing
@testable import TapsterObjectStore

@Suite("Object keys and tags")
struct ObjectKeyTests {
    @Test("A nested key of ordinary names is valid")
    func nestedKeyIsValid() throws {
        try ObjectKey.validate("captures/acme/7f3c-capture.pcapng")
    }

    @Test("Keys that could escape the root or hide files are refused with the rule they break", arguments: [
        ("../etc/passwd", InvalidObjectKey.Reason.parentOrCurrentDirectory),
        ("captures/../../x", .parentOrCurrentDirectory),
        ("/etc/passwd", .absolutePath),
        ("", .empty),
        ("captures//x", .emptyComponent),
        ("captures/", .emptyComponent),
        ("captures/.hidden", .hiddenComponent(".hidden")),
        ("a\\b", .backslash),
        ("a\nb", .controlCharacter),
    ])
    func badKeysAreRefused(key: String, reason: InvalidObjectKey.Reason) {
        #expect(throws: ObjectStoreError.invalidKey(InvalidObjectKey(key: key, reason: reason))) {
            try ObjectKey.validate(key)
        }
    }

    @Test("A listing prefix may be empty, end with a slash, or stop inside a name")
    func prefixesMayBePartial() throws {
        try ObjectKey.validatePrefix("")
        try ObjectKey.validatePrefix("captures/")
        try ObjectKey.validatePrefix("captures/ac")
    }

    @Test("A listing prefix may not climb out of the root")
    func prefixMayNotClimb() {
        #expect(throws: ObjectStoreError.invalidKey(InvalidObjectKey(key: "../", reason: .parentOrCurrentDirectory))) {
            try ObjectKey.validatePrefix("../")
        }
    }

    @Test("Tags with S3's characters are valid")
    func ordinaryTagsAreValid() throws {
        try ObjectTags.validate(["owner": "alice@example.com", "tenant": "acme-1", "tap": "tap/42 +x:y=z_."])
    }

    @Test("A tag character S3 refuses is refused here too")
    func forbiddenTagCharacter() {
        #expect(throws: ObjectStoreError.invalidTags(InvalidObjectTags(tagKey: "owner", reason: .forbiddenCharacter("#")))) {
            try ObjectTags.validate(["owner": "alice#1"])
        }
    }

    @Test("More than ten tags are refused")
    func tooManyTags() {
        let tags = Dictionary(uniqueKeysWithValues: (0..<11).map { ("k\($0)", "v") })
        #expect(throws: ObjectStoreError.invalidTags(InvalidObjectTags(tagKey: nil, reason: .tooMany(11)))) {
            try ObjectTags.validate(tags)
        }
    }
}
