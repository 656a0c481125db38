// TapsterServer
