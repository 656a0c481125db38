import Foundation
import Testing
import TapsterCore

@Suite("LabelSelector")
struct LabelSelectorTests {
    typealias R = LabelSelector.Requirement

    static func invalidKey(_ key: String, field: String = "selector") -> TapsterError {
        TapsterError.invalid(field, "\"\(key)\" is not a valid label key (letters, digits, '-', '_', '.', at most 63, optionally prefixed by a domain and '/')")
    }

    static func invalidValue(_ value: String, field: String = "selector") -> TapsterError {
        TapsterError.invalid(field, "\"\(value)\" is not a valid label value (letters, digits, '-', '_', '.', at most 63)")
    }

    // MARK: Operators

    @Test("parses each operator into its requirement", arguments: [
        ("app=web", R.equals(key: "app", value: "web")),
        ("app==web", R.equals(key: "app", value: "web")),
        ("app!=web", R.notEquals(key: "app", value: "web")),
        ("tier in (front,edge)", R.in(key: "tier", values: ["front", "edge"])),
        ("tier notin (front,edge)", R.notIn(key: "tier", values: ["front", "edge"])),
        ("app", R.exists(key: "app")),
        ("!canary", R.notExists(key: "canary")),
        ("app=", R.equals(key: "app", value: "")),
        ("example.com/app=web", R.equals(key: "example.com/app", value: "web")),
        ("tier in (db)", R.in(key: "tier", values: ["db"])),
    ])
    func parsesOperator(text: String, requirement: R) throws {
        #expect(try LabelSelector(parsing: text).requirements == [requirement])
    }

    @Test("parses comma-separated requirements in order")
    func parsesSeveral() throws {
        let selector = try LabelSelector(parsing: "app=web,tier in (front,edge),!canary,env!=dev")
        #expect(selector.requirements == [
            .equals(key: "app", value: "web"),
            .in(key: "tier", values: ["front", "edge"]),
            .notExists(key: "canary"),
            .notEquals(key: "env", value: "dev"),
        ])
    }

    @Test("the requirement's key is its label key", arguments: [
        R.equals(key: "a", value: "1"), .notEquals(key: "a", value: "1"), .in(key: "a", values: ["1"]),
        .notIn(key: "a", values: ["1"]), .exists(key: "a"), .notExists(key: "a"),
    ])
    func requirementKey(requirement: R) {
        #expect(requirement.key == "a")
    }

    // MARK: Canonical form

    @Test("describes itself canonically", arguments: [
        ("app==web", "app=web"),
        (" app = web , tier in ( a , b ) ", "app=web,tier in (a,b)"),
        ("tier notin(a,b)", "tier notin (a,b)"),
        ("tier in(a)", "tier in (a)"),
        ("!canary", "!canary"),
        ("app", "app"),
        ("env!=dev", "env!=dev"),
        ("app=web,tier in (front,edge),!canary,env!=dev", "app=web,tier in (front,edge),!canary,env!=dev"),
    ])
    func canonicalDescription(text: String, canonical: String) throws {
        #expect(try LabelSelector(parsing: text).description == canonical)
    }

    @Test("its description parses back to the same selector", arguments: [
        "app=web", "app!=web,tier in (a,b,c)", "x notin (y)", "app,!canary", "example.com/app=web,k=", "",
    ])
    func descriptionRoundTrips(text: String) throws {
        let selector = try LabelSelector(parsing: text)
        #expect(try LabelSelector(parsing: selector.description) == selector)
    }

    @Test("the empty (or blank) selector has no requirements and matches everything", arguments: ["", "   "])
    func emptySelector(text: String) throws {
        let selector = try LabelSelector(parsing: text)
        #expect(selector.isEmpty)
        #expect(selector.description == "")
        #expect(selector.matches([:]))
        #expect(selector.matches(["app": "web"]))
    }

    @Test("a selector made from labels requires each of them, in key order")
    func fromLabels() {
        let selector = LabelSelector(matching: ["tier": "db", "app": "web"])
        #expect(selector.requirements == [.equals(key: "app", value: "web"), .equals(key: "tier", value: "db")])
        #expect(selector.description == "app=web,tier=db")
    }

    // MARK: Matching

    @Test("matches labels as Kubernetes does", arguments: [
        ("app=web", ["app": "web"], true),
        ("app=web", ["app": "db"], false),
        ("app=web", [:], false),
        ("app!=web", ["app": "db"], true),
        ("app!=web", ["app": "web"], false),
        ("app!=web", [:], true),                          // != matches a missing key
        ("tier in (a,b)", ["tier": "a"], true),
        ("tier in (a,b)", ["tier": "b"], true),
        ("tier in (a,b)", ["tier": "c"], false),
        ("tier in (a,b)", [:], false),                     // in never matches a missing key
        ("tier notin (a,b)", ["tier": "c"], true),
        ("tier notin (a,b)", ["tier": "a"], false),
        ("tier notin (a,b)", [:], true),                   // notin matches a missing key
        ("app", ["app": ""], true),
        ("app", ["app": "web"], true),
        ("app", [:], false),
        ("!canary", [:], true),
        ("!canary", ["canary": "true"], false),
        ("app=", ["app": ""], true),
        ("app=", [:], false),
        ("app=web,tier=db", ["app": "web", "tier": "db"], true),
        ("app=web,tier=db", ["app": "web"], false),        // requirements are AND-ed
        ("app=web,tier=db", ["app": "web", "tier": "db", "env": "prod"], true),
    ] as [(String, [String: String], Bool)])
    func matches(selector: String, labels: [String: String], expected: Bool) {
        #expect(Fixture.selector(selector).matches(labels) == expected)
    }

    // MARK: Errors

    @Test("rejects 'in'/'notin' without a parenthesised list")
    func rejectsInWithoutParentheses() {
        #expect(throws: TapsterError.invalid("selector", "\"app in web\": 'in' needs a list in parentheses, e.g. app in (a,b)")) {
            try LabelSelector(parsing: "app in web")
        }
        #expect(throws: TapsterError.invalid("selector", "\"app notin web\": 'notin' needs a list in parentheses, e.g. app notin (a,b)")) {
            try LabelSelector(parsing: "app notin web")
        }
    }

    @Test("rejects an unclosed parenthesis")
    func rejectsUnclosedParenthesis() {
        #expect(throws: TapsterError.invalid("selector", "missing ')' in \"app=(\"")) { try LabelSelector(parsing: "app=(") }
    }

    @Test("rejects an unbalanced closing parenthesis")
    func rejectsUnbalancedParenthesis() {
        #expect(throws: TapsterError.invalid("selector", "unbalanced ')' in \"app)\"")) { try LabelSelector(parsing: "app)") }
    }

    @Test("rejects nested parentheses")
    func rejectsNestedParentheses() {
        #expect(throws: TapsterError.invalid("selector", "nested parentheses in \"tier in (a,(b))\"")) {
            try LabelSelector(parsing: "tier in (a,(b))")
        }
    }

    @Test("rejects an empty requirement, naming its position", arguments: [
        (",app=web", 1), ("app=web,", 2), ("app=web,,tier=db", 2), (",", 1), ("app=web, ,x", 2),
    ] as [(String, Int)])
    func rejectsEmptyRequirement(text: String, position: Int) {
        #expect(throws: TapsterError.invalid("selector", "empty requirement at position \(position) in \"\(text)\"")) {
            try LabelSelector(parsing: text)
        }
    }

    @Test("rejects an empty value list", arguments: ["tier in ()", "tier notin ()", "tier in (a,)", "tier in (,a)"])
    func rejectsEmptyValueList(text: String) {
        #expect(throws: TapsterError.invalid("selector", "\"\(text)\": the value list must not be empty")) {
            try LabelSelector(parsing: text)
        }
    }

    @Test("rejects a clause that is no requirement", arguments: ["app web", "in (a)", "app is web"])
    func rejectsNonRequirement(text: String) {
        #expect(throws: TapsterError.invalid("selector", "\"\(text)\" is not a requirement: use key=value, key!=value, key in (a,b), key notin (a,b), key or !key")) {
            try LabelSelector(parsing: text)
        }
    }

    @Test("rejects bad keys", arguments: [
        ("-app=web", "-app"), ("app-=web", "app-"), ("app$=web", "app$"), ("=web", ""), ("a/b/c=x", "a/b/c"),
        ("/app=x", "/app"), ("example.com/=x", "example.com/"), ("!-x", "-x"), ("-x", "-x"),
        ("ap p!=x", "ap p"), ("-x in (a)", "-x"),
        (String(repeating: "k", count: 64) + "=v", String(repeating: "k", count: 64)),
    ])
    func rejectsBadKeys(text: String, key: String) {
        #expect(throws: Self.invalidKey(key)) { try LabelSelector(parsing: text) }
    }

    @Test("rejects bad values", arguments: [
        ("app=-web", "-web"), ("app=web-", "web-"), ("app!=we b", "we b"), ("app=web=x", "web=x"), ("tier in (a,-b)", "-b"),
        ("app=" + String(repeating: "v", count: 64), String(repeating: "v", count: 64)),
    ])
    func rejectsBadValues(text: String, value: String) {
        #expect(throws: Self.invalidValue(value)) { try LabelSelector(parsing: text) }
    }

    @Test("names the field it was given in its errors")
    func namesTheField() {
        #expect(throws: TapsterError.invalid("peer_selector", "missing ')' in \"app in (a\"")) {
            try LabelSelector(parsing: "app in (a", field: "peer_selector")
        }
    }

    @Test("validates label keys and values on their own, naming the labels field by default")
    func validatesKeysAndValues() throws {
        try LabelSelector.validateKey("app")
        try LabelSelector.validateKey("example.com/app")
        try LabelSelector.validateKey("App_1.x")
        try LabelSelector.validateValue("")
        try LabelSelector.validateValue("v1.2_beta-3")
        #expect(throws: Self.invalidKey("app!", field: "labels")) { try LabelSelector.validateKey("app!") }
        #expect(throws: Self.invalidValue("a b", field: "labels")) { try LabelSelector.validateValue("a b") }
    }

    // MARK: JSON

    @Test("encodes to and decodes from its canonical string in JSON")
    func jsonString() throws {
        let data = try TapsterJSON.encoder().encode([Fixture.selector("app = web,tier in ( a , b )")])
        #expect(String(decoding: data, as: UTF8.self) == #"["app=web,tier in (a,b)"]"#)
        #expect(try TapsterJSON.decoder().decode([LabelSelector].self, from: data) == [Fixture.selector("app=web,tier in (a,b)")])
        #expect(throws: DecodingError.self) { try TapsterJSON.decoder().decode([LabelSelector].self, from: Data(#"["app in web"]"#.utf8)) }
    }
}
