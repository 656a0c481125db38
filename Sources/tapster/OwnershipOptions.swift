import ArgumentParser

/// `--tenant` and `--description`, shared by the admin-defined objects.
struct OwnershipOptions: ParsableArguments {
    @Option(help: "The tenant that owns it (default: shared, handed out by grants).") var tenant: String?
    @Option(help: "What it is for.") var description: String?
}
