import TapsterCore
import Yams

/// Turns the YAML of an agent configuration file into an ``AgentConfiguration``, naming the line and key
/// of anything it refuses: bad YAML, unknown keys, values of the wrong type, invalid labels.
struct AgentConfigurationParser {
    let file: String

    func parse(_ yaml: String) throws(AgentConfigurationError) -> AgentConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw syntaxError(error)
        } catch {
            throw AgentConfigurationError(file: file, problem: "invalid YAML: \(error)")
        }
        var configuration = AgentConfiguration()
        guard let root, !isNull(root) else { return configuration }
        for (key, value) in try mapping(root, path: nil, allowed: ["server", "labels", "workloads", "namespaces", "host_interfaces", "process_namespaces", "docker-socket", "cri-socket"]) {
            switch key {
            case "server": configuration.servers = try servers(value)
            case "labels": configuration.hostLabels = try labels(value, path: "labels")
            case "workloads": configuration.workloadRules = try workloadRules(value)
            case "namespaces":
                configuration.ownedNamespaces = try sequence(value, path: "namespaces").enumerated().map {
                    (index, node) throws(AgentConfigurationError) in
                    GlobPattern(try pattern(node, path: "namespaces[\(index)]"))
                }
            case "host_interfaces": configuration.reportsHostInterfaces = try bool(value, path: key)
            case "process_namespaces": configuration.reportsProcessNamespaces = try bool(value, path: key)
            case "docker-socket": configuration.dockerSocket = try socketPath(value, path: key)
            case "cri-socket": configuration.criSocket = try socketPath(value, path: key)
            default: break
            }
        }
        return configuration
    }

    // MARK: Sections

    /// `server: a:7381,b:7381` or a list of addresses (a name may stand for several replicas).
    private func servers(_ node: Node) throws(AgentConfigurationError) -> ServerList {
        let texts: [String]
        if node.sequence != nil {
            texts = try sequence(node, path: "server").enumerated().map { (index, item) throws(AgentConfigurationError) in
                try scalar(item, path: "server[\(index)]", expected: "a server address")
            }
        } else {
            texts = [try scalar(node, path: "server", expected: "a server address or a list of them")]
        }
        do {
            return try ServerList(parsing: texts.joined(separator: ","))
        } catch {
            throw self.error(at: node, key: "server", error.description)
        }
    }

    private func workloadRules(_ node: Node) throws(AgentConfigurationError) -> [WorkloadRule] {
        var rules: [WorkloadRule] = []
        for (index, item) in try sequence(node, path: "workloads").enumerated() {
            let path = "workloads[\(index)]"
            var match: WorkloadMatch?
            var ruleLabels: [String: String] = [:]
            for (key, value) in try mapping(item, path: path, allowed: ["match", "labels"]) {
                if key == "match" {
                    match = try workloadMatch(value, path: "\(path).match")
                } else {
                    ruleLabels = try labels(value, path: "\(path).labels")
                }
            }
            guard let match else { throw error(at: item, key: path, "a rule needs a \"match\" (netns, process and/or interface)") }
            rules.append(WorkloadRule(match: match, labels: ruleLabels))
        }
        return rules
    }

    private func workloadMatch(_ node: Node, path: String) throws(AgentConfigurationError) -> WorkloadMatch {
        var match = WorkloadMatch()
        for (key, value) in try mapping(node, path: path, allowed: ["netns", "process", "interface"]) {
            switch key {
            case "netns": match.netns = GlobPattern(try pattern(value, path: "\(path).netns"))
            case "process": match.process = try processMatch(value, path: "\(path).process")
            default: match.interface = GlobPattern(try pattern(value, path: "\(path).interface"))
            }
        }
        guard match.netns != nil || match.process != nil || match.interface != nil else {
            throw error(at: node, key: path, "give netns, process and/or interface patterns")
        }
        guard match.netns == nil || match.process == nil else {
            throw error(at: node, key: path, "netns and process exclude each other (netns matches named namespaces only, process a process's)")
        }
        return match
    }

    /// A `process` match: a uid (required, since it is what a process cannot choose) and an `exe` pattern.
    private func processMatch(_ node: Node, path: String) throws(AgentConfigurationError) -> ProcessMatch {
        var uid: UInt32?
        var executable: GlobPattern?
        for (key, value) in try mapping(node, path: path, allowed: ["uid", "exe"]) {
            if key == "uid" {
                let text = try scalar(value, path: "\(path).uid", expected: "a user id")
                guard let number = UInt32(text) else {
                    throw error(at: value, key: "\(path).uid", "expected a user id (a number), found \(shape(value))")
                }
                uid = number
            } else {
                executable = GlobPattern(try pattern(value, path: "\(path).exe"))
            }
        }
        guard let uid else {
            throw error(at: node, key: path, "a process match needs a uid (a process chooses its own name, not its user)")
        }
        return ProcessMatch(uid: uid, executable: executable)
    }

    private func labels(_ node: Node, path: String) throws(AgentConfigurationError) -> [String: String] {
        if isNull(node) { return [:] }
        var result: [String: String] = [:]
        for (key, value) in try mapping(node, path: path, allowed: nil) {
            let valueText = try scalar(value, path: "\(path).\(key)", expected: "a label value")
            do {
                try LabelSelector.validateKey(key, field: path)
            } catch {
                throw self.error(at: keyNode(node, key) ?? node, key: path, problem(of: error, field: path))
            }
            do {
                try LabelSelector.validateValue(valueText, field: "\(path).\(key)")
            } catch {
                throw self.error(at: value, key: "\(path).\(key)", problem(of: error, field: "\(path).\(key)"))
            }
            result[key] = valueText
        }
        return result
    }

    // MARK: Node shapes

    /// The string keys and values of a mapping, in order; keys outside `allowed` (when given) are refused.
    private func mapping(_ node: Node, path: String?, allowed: [String]?) throws(AgentConfigurationError) -> [(String, Node)] {
        guard let mapping = node.mapping else {
            throw error(at: node, key: path, "expected a mapping of keys to values, found \(shape(node))")
        }
        var pairs: [(String, Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else { throw error(at: keyNode, key: path, "keys must be plain strings") }
            if let allowed, !allowed.contains(key) {
                throw error(at: keyNode, key: path,
                            "unknown key \"\(key)\" (allowed: \(allowed.joined(separator: ", ")))")
            }
            pairs.append((key, value))
        }
        return pairs
    }

    private func sequence(_ node: Node, path: String) throws(AgentConfigurationError) -> [Node] {
        if isNull(node) { return [] }
        guard let sequence = node.sequence else { throw error(at: node, key: path, "expected a list, found \(shape(node))") }
        return Array(sequence)
    }

    private func scalar(_ node: Node, path: String, expected: String) throws(AgentConfigurationError) -> String {
        guard let scalar = node.scalar else { throw error(at: node, key: path, "expected \(expected), found \(shape(node))") }
        return isNull(node) ? "" : scalar.string
    }

    private func pattern(_ node: Node, path: String) throws(AgentConfigurationError) -> String {
        let text = try scalar(node, path: path, expected: "a glob pattern")
        guard !text.isEmpty else { throw error(at: node, key: path, "the pattern is empty") }
        return text
    }

    private func bool(_ node: Node, path: String) throws(AgentConfigurationError) -> Bool {
        guard node.scalar != nil, let value = node.bool else {
            throw error(at: node, key: path, "expected true or false, found \(shape(node))")
        }
        return value
    }

    /// An absolute path to a unix socket.
    private func socketPath(_ node: Node, path: String) throws(AgentConfigurationError) -> String {
        let text = try scalar(node, path: path, expected: "a socket path")
        guard text.hasPrefix("/") else { throw error(at: node, key: path, "expected an absolute socket path, found \(shape(node))") }
        return text
    }

    private func isNull(_ node: Node) -> Bool {
        node.scalar != nil && node.null != nil
    }

    private func keyNode(_ node: Node, _ key: String) -> Node? {
        node.mapping?.keys.first { $0.scalar?.string == key }
    }

    /// How a node looks, for messages: `"abc"`, `a list`, `a mapping`.
    private func shape(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): "\"\(scalar.string)\""
        case .sequence: "a list"
        case .mapping: "a mapping"
        case .alias: "an alias"
        }
    }

    // MARK: Errors

    private func error(at node: Node, key: String?, _ problem: String) -> AgentConfigurationError {
        AgentConfigurationError(file: file, line: node.mark?.line, key: key, problem: problem)
    }

    /// The message of a validation error without its `field: ` prefix (the key path is shown separately).
    private func problem(of error: TapsterError, field: String) -> String {
        let prefix = "\(field): "
        return error.message.hasPrefix(prefix) ? String(error.message.dropFirst(prefix.count)) : error.message
    }

    private func syntaxError(_ error: YamlError) -> AgentConfigurationError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            AgentConfigurationError(file: file, line: mark.line, problem: "invalid YAML: \(problem)")
        case .reader(let problem, _, _, _):
            AgentConfigurationError(file: file, problem: "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            AgentConfigurationError(file: file, line: context.mark.line,
                                    problem: "duplicate key \(duplicates.map { "\"\($0)\"" }.joined(separator: ", "))")
        default:
            AgentConfigurationError(file: file, problem: "invalid YAML: \(error)")
        }
    }
}
