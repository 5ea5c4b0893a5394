"""pytest plugin: one suite offline, against the fake on loopback, or online (filled in by the testkit)."""
