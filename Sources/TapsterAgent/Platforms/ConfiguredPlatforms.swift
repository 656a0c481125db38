/// The container runtimes an agent asks for pods and containers, from its command line (which wins) and
/// its configuration file: the CRI runtime (``CRIInventory``) and the Docker Engine API (``DockerEngineInventory``).
public enum ConfiguredPlatforms {
    /// The platforms `settings` and `configuration` name, or the ones found at the usual sockets.
    /// - Throws: ``CRIError`` when a CRI client cannot be made for the socket.
    public static func platforms(settings: AgentSettings, configuration: AgentConfiguration) throws -> [any PlatformInventory] {
        let cri: [any PlatformInventory] = try CRIInventory.configured(socket: settings.criSocket ?? configuration.criSocket)
        let docker: [any PlatformInventory] = DockerEngineInventory.configured(socket: settings.dockerSocket ?? configuration.dockerSocket)
        return cri + docker
    }
}
