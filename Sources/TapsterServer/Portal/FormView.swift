import Foundation
import Hummingbird
import TapsterCore

/// A hidden input of a form.
struct HiddenField: Sendable {
    let name: String
    let value: String
}

/// A choice of a `<select>`.
struct FormOption: Sendable {
    let value: String
    let label: String
    var selected = false
}

/// One labelled input of a portal form as the `field` template renders it: its value as typed,
/// a hint, and the error that names it. Field names are the API's (`session_id`, `max_duration`).
struct FormField: Sendable {
    enum Kind: Sendable { case text, password, number, select, textarea, checkbox }

    let name: String
    let label: String
    var value: String
    let hint: String?
    /// The choices of a select; empty for other kinds.
    var options: [FormOption]
    var fieldError: String?
    let required: Bool
    let autocomplete: String?
    // What the template needs spelled out (Mustache has no logic).
    let id: String
    let inputType: String
    let isSelect: Bool
    let isTextarea: Bool
    /// A checkbox sends `yes` when ticked, nothing otherwise.
    let isCheckbox: Bool
    var checked = false
    var describedBy: String?

    init(_ name: String, _ label: String, kind: Kind = .text, value: String = "", hint: String? = nil,
         options: [FormOption] = [], required: Bool = false, autocomplete: String? = nil) {
        self.name = name
        self.label = label
        self.value = value
        self.hint = hint
        self.options = options
        self.required = required
        self.autocomplete = autocomplete
        self.id = "field-" + name.replacingOccurrences(of: "_", with: "-")
        self.inputType = kind == .password ? "password" : kind == .number ? "number" : "text"
        self.isSelect = kind == .select
        self.isTextarea = kind == .textarea
        self.isCheckbox = kind == .checkbox
        self.describedBy = hint == nil ? nil : id + "-hint"
        select(value)
    }

    /// Sets the value (and, for a select, which option is selected).
    mutating func select(_ value: String) {
        self.value = value
        checked = value == "yes"
        options = options.map { FormOption(value: $0.value, label: $0.label, selected: $0.value == value) }
    }

    mutating func fail(_ message: String) {
        fieldError = message
        describedBy = [hint == nil ? nil : id + "-hint", id + "-error"].compactMap { $0 }.joined(separator: " ")
    }
}

/// A group of fields; `grouped` ones are a `<fieldset>` with a legend.
struct FormSection: Sendable {
    let legend: String
    let grouped: Bool
    var fields: [FormField]

    /// Fields without a fieldset.
    init(_ fields: [FormField]) {
        self.legend = ""
        self.grouped = false
        self.fields = fields
    }

    init(_ legend: String, _ fields: [FormField]) {
        self.legend = legend
        self.grouped = true
        self.fields = fields
    }
}

/// A form as the `form` template renders it: where it posts, its fields, and an error summary
/// linking to the field at fault.
struct FormView: Sendable {
    let action: String
    let submit: String
    var sections: [FormSection]
    /// The label of a second submit button, `name="intent" value="preview"` (the filter form's preview).
    var previewButton: String?
    /// Shown above the fields, with `role="alert"`.
    var formError: String?
    /// The id of the field the summary links to.
    var formErrorTarget: String?
    /// Hidden inputs besides the CSRF token.
    var hidden: [HiddenField] = []
    /// `post`, or `get` for a search (which changes nothing, so carries no CSRF token).
    private(set) var method = "post"
    private(set) var carriesToken = true
    /// Forms of several sections lay them out in columns on wide screens.
    let wide: Bool

    init(action: String, submit: String, fields: [FormField]) {
        self.init(action: action, submit: submit, sections: fields.isEmpty ? [] : [FormSection(fields)])
    }

    init(action: String, submit: String, sections: [FormSection]) {
        self.action = action
        self.submit = submit
        self.sections = sections
        self.wide = sections.count > 1
    }

    /// This form as a search: `GET`, its fields in the URL.
    func asSearch() -> FormView {
        var copy = self
        copy.method = "get"
        copy.carriesToken = false
        return copy
    }

    /// The form with every field as the user submitted it (passwords are never sent back).
    func filled(from form: PortalForm) -> FormView {
        var copy = self
        copy.eachField { field in
            if field.inputType != "password" { field.select(form[field.name]) }
        }
        return copy
    }

    /// The form showing `error`: next to the field it names (`rules.port` names `rules`), and in the summary.
    func failed(_ error: TapsterError) -> FormView {
        var copy = self
        copy.formError = error.message
        guard let name = error.field else { return copy }
        let root = String(name.prefix { $0 != "." && $0 != "[" })
        var target: String?
        copy.eachField { field in
            guard target == nil, field.name == name || field.name == root else { return }
            field.fail(error.message)
            target = field.id
        }
        copy.formErrorTarget = target
        return copy
    }

    private mutating func eachField(_ body: (inout FormField) -> Void) {
        for s in sections.indices {
            for f in sections[s].fields.indices { body(&sections[s].fields[f]) }
        }
    }
}
