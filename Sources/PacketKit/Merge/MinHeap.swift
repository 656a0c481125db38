/// A binary min-heap over a reused array: push and pop are O(log n) and allocate nothing once the
/// array has grown to the largest size seen.
struct MinHeap<Element: Comparable>: Sendable where Element: Sendable {
    private(set) var storage: [Element] = []

    init(reservingCapacity capacity: Int = 0) {
        storage.reserveCapacity(capacity)
    }

    var count: Int { storage.count }
    var isEmpty: Bool { storage.isEmpty }
    /// Read by index, not through `first`: Collection's generic `first` allocates a coroutine frame per call
    /// where it is not specialised (debug builds), and the merger reads this once per packet.
    var minimum: Element? { storage.isEmpty ? nil : storage[0] }

    mutating func push(_ element: Element) {
        storage.append(element)
        var child = storage.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard element < storage[parent] else { break }
            storage[child] = storage[parent]
            child = parent
        }
        storage[child] = element
    }

    mutating func pop() -> Element? {
        guard let last = storage.popLast() else { return nil }
        guard !storage.isEmpty else { return last }
        let top = storage[0]
        siftDown(last, from: 0)
        return top
    }

    /// Replaces the minimum with `element` (one sift instead of a pop and a push) and returns the old minimum.
    mutating func replaceMinimum(with element: Element) -> Element {
        let top = storage[0]
        siftDown(element, from: 0)
        return top
    }

    /// Lets `body` rewrite elements in place without changing their order (e.g. relocating payloads).
    mutating func updateEach(_ body: (inout Element) -> Void) {
        for index in storage.indices { body(&storage[index]) }
    }

    mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
    }

    private mutating func siftDown(_ element: Element, from start: Int) {
        let count = storage.count
        var parent = start
        while true {
            var child = 2 * parent + 1
            guard child < count else { break }
            if child + 1 < count, storage[child + 1] < storage[child] { child += 1 }
            guard storage[child] < element else { break }
            storage[parent] = storage[child]
            parent = child
        }
        storage[parent] = element
    }
}
