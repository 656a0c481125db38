import ArgumentParser
import TapsterClient

/// `--limit N` and `--continue TOKEN` on every `list`: one page instead of the whole list
/// (`kubectl get --chunk-size`, OpenStack's `--limit --marker`). Without them every page is fetched.
struct PagingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Show one page of at most this many (1–1000); the token of the next page is printed on standard error.",
                               valueName: "n"))
    var limit: Int?

    @Option(name: .customLong("continue"), help: ArgumentHelp("Show the page after the one that printed this token.", valueName: "token"))
    var continueToken: String?

    func validate() throws {
        if let limit, !(1...1000).contains(limit) { throw ValidationError("--limit must be from 1 to 1000") }
    }

    var paging: ListPaging { ListPaging(limit: limit, continueToken: continueToken) }
}
