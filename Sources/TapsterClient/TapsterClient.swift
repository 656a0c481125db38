// TapsterClient
