import TapsterSystemTestSupport
import Testing
import TapsterClient
import TapsterCore

@Suite("Error reports")
struct ErrorReportTests {
    @Test func apiErrorsAreOneLineWithTheirCodeAndExitOne() {
        let report = ErrorReport(TapsterError(.notGranted, "no grant covers filter \"web\" with target \"other\""))
        #expect(report.line == #"error: no grant covers filter "web" with target "other" (not_granted)"#)
        #expect(report.exitStatus == 1)
    }

    @Test func unreachableServerExitsThree() {
        let report = ErrorReport(ServerUnreachable(server: "http://127.0.0.1:7380", reason: "connection refused"))
        #expect(report.line == "error: cannot reach Tapster at http://127.0.0.1:7380: connection refused (unreachable)")
        #expect(report.exitStatus == 3)
    }

    @Test func usageFailuresExitTwo() {
        #expect(ErrorReport(CommandFailure.usage("give --user")).exitStatus == 2)
    }

    @Test func multiLineMessagesBecomeOneLine() {
        let report = ErrorReport(TapsterError(.internal, "first\n  second\n"))
        #expect(report.line == "error: first second (internal)")
    }

    @Test func pathsEscapeUserSuppliedParts() {
        #expect(APIPath.escape("a/b c") == "a%2Fb%20c")
        #expect(APIPath.query(["selector": "app=web,tier in (a)", "host": nil]) == "?selector=app%3Dweb%2Ctier%20in%20%28a%29")
        #expect(APIPath.query(["host": nil]) == "")
    }
}
