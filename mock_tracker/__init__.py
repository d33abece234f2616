"""A mock Bitcop-like time tracker: imports the connector's task feed, simulates work and serves
the read-only published API (docs/bitcop-assumptions.md). Imports nothing from the connector."""
