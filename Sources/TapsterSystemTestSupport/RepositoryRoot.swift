import Foundation

/// The clone this support library was built from (its sources are at `Sources/TapsterSystemTestSupport/`):
/// where the `scripts/…-for-tests.sh` that start the suite's shared services are.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
