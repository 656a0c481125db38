// TapsterAgent
