import TapsterCore

/// A filter view is paged as its filter is (the store's order of filters).
extension FilterView: Pageable {
    public var pageKey: PageKey { filter.pageKey }
}
