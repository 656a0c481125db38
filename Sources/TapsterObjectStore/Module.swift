// TapsterObjectStore
