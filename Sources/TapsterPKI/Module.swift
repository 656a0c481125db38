// TapsterPKI
