"""fakelinear: a stateful, flaky-on-purpose fake of Linear's GraphQL API."""
