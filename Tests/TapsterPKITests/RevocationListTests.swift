import Testing
import TapsterPKI

@Suite("Revocation list")
struct RevocationListTests {
    @Test("an inserted serial is contained, whatever the case of its hex digits")
    func insert() {
        let list = RevocationList()
        list.insert(serial: "0A1b")
        #expect(list.contains(serial: "0a1b"))
        #expect(list.contains(serial: "0A1B"))
        #expect(!list.contains(serial: "0a1c"))
    }

    @Test("replacing all serials forgets the earlier ones")
    func replaceAll() {
        let list = RevocationList(["01", "02"])
        list.replaceAll(with: ["03"])
        #expect(!list.contains(serial: "01"))
        #expect(!list.contains(serial: "02"))
        #expect(list.contains(serial: "03"))
        #expect(list.count == 1)
    }
}
