/// The few fields of the Docker Engine API's container documents that the inventory reads, as the engine
/// sends them (Docker, and Podman's compatible API). Decoded here, at the edge, and turned into
/// ``PlatformWorkload`` values by ``DockerEngineInventory``; nothing else sees them.
enum DockerEngineContainers {
    /// One entry of `GET /containers/json` (running containers only).
    struct Summary: Decodable, Sendable {
        var id: String
        /// The container's names, each with a leading `/` (`["/web"]`).
        var names: [String]?

        enum CodingKeys: String, CodingKey {
            case id = "Id"
            case names = "Names"
        }
    }

    /// The parts of `GET /containers/{id}/json` the inventory needs.
    struct Inspection: Decodable, Sendable, Hashable {
        var id: String
        /// With a leading `/` (`/web`).
        var name: String
        var state: State
        var config: Config
        var hostConfig: HostConfig?

        enum CodingKeys: String, CodingKey {
            case id = "Id"
            case name = "Name"
            case state = "State"
            case config = "Config"
            case hostConfig = "HostConfig"
        }

        struct State: Decodable, Sendable, Hashable {
            var running: Bool
            /// The container's first process, as the host's pid namespace numbers it; 0 when it is not running.
            var pid: Int32

            enum CodingKeys: String, CodingKey {
                case running = "Running"
                case pid = "Pid"
            }
        }

        struct Config: Decodable, Sendable, Hashable {
            /// The image as the container was created from it (`nginx:1.27`, `localhost/busybox:test`).
            var image: String
            /// Null in the API when the container has none.
            var labels: [String: String]?

            enum CodingKeys: String, CodingKey {
                case image = "Image"
                case labels = "Labels"
            }
        }

        struct HostConfig: Decodable, Sendable, Hashable {
            /// `bridge`, `host`, `none`, `container:<id>`, or a network's name.
            var networkMode: String?

            enum CodingKeys: String, CodingKey {
                case networkMode = "NetworkMode"
            }
        }
    }
}
