import Foundation
import TapsterSystemTestSupport

/// Debian's real Prometheus and Alertmanager on loopback ports chosen at run time: Prometheus scrapes the lab
/// server's own `/metrics` (with the admin's token) every second and evaluates one alert rule, which fires at
/// once (`for: 0s`) with `labels`; Alertmanager posts it to `webhook` with `bearer` as the credentials, at
/// once (`group_wait: 0s`) and again every `repeatInterval`. Both stop when ``stop()`` runs (or on deinit).
final class AlertingStack: @unchecked Sendable {
    let prometheus: BackgroundProcess
    let alertmanager: BackgroundProcess

    init(lab: DataPlaneLab, webhook: String, bearer: String, labels: [String: String], repeatInterval: String = "2s") throws {
        for tool in ["/usr/bin/prometheus", "/usr/bin/prometheus-alertmanager"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw LabFailure("\(tool) is missing: scripts/install-deps.sh installs prometheus and prometheus-alertmanager")
        }
        let directory = lab.scratch.path + "/alerting"
        try FileManager.default.createDirectory(atPath: directory + "/am-data", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/prom-data", withIntermediateDirectories: true)
        let amPort = try freeLoopbackPort(), promPort = try freeLoopbackPort()
        let server = URL(string: lab.server.url)!
        try """
            route:
              receiver: tapster
              group_by: ['alertname']
              group_wait: 0s
              group_interval: 1s
              repeat_interval: \(repeatInterval)
            receivers:
              - name: tapster
                webhook_configs:
                  - url: '\(webhook)'
                    send_resolved: false
                    http_config:
                      authorization:
                        credentials: '\(bearer)'
            """.write(toFile: directory + "/alertmanager.yml", atomically: true, encoding: .utf8)
        let ruleLabels = labels.sorted { $0.key < $1.key }.map { "          \($0.key): '\($0.value)'" }.joined(separator: "\n")
        try """
            groups:
              - name: tapster-trigger-test
                interval: 1s
                rules:
                  - alert: TapsterScraped
                    # Aggregated: the alert carries no instance label (the scrape target is the server, no workload).
                    expr: max(up{job="tapster"}) == 1
                    for: 0s
                    labels:
            \(ruleLabels)
                    annotations:
                      summary: 'the test rule fired'
            """.write(toFile: directory + "/rules.yml", atomically: true, encoding: .utf8)
        try """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            alerting:
              alertmanagers:
                - static_configs:
                    - targets: ['127.0.0.1:\(amPort)']
            rule_files: ['\(directory)/rules.yml']
            scrape_configs:
              - job_name: tapster
                metrics_path: /metrics
                authorization:
                  credentials: '\(lab.adminToken)'
                static_configs:
                  - targets: ['\(server.host!):\(server.port!)']
            """.write(toFile: directory + "/prometheus.yml", atomically: true, encoding: .utf8)
        alertmanager = try BackgroundProcess(name: "alertmanager", [
            "/usr/bin/prometheus-alertmanager", "--config.file=\(directory)/alertmanager.yml", "--storage.path=\(directory)/am-data",
            "--web.listen-address=127.0.0.1:\(amPort)", "--cluster.listen-address=", "--log.level=debug"], directory: lab.scratch)
        prometheus = try BackgroundProcess(name: "prometheus", [
            "/usr/bin/prometheus", "--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/prom-data",
            "--web.listen-address=127.0.0.1:\(promPort)"], directory: lab.scratch)
    }

    /// Both logs, for a failure's report.
    var logs: String { "prometheus:\n\(prometheus.stderr)\nalertmanager:\n\(alertmanager.stderr)" }

    func stop() {
        prometheus.stop()
        alertmanager.stop()
    }

    deinit { stop() }
}
