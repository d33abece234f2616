"""Real servers on loopback for tests and benchmarks: the mocks and the connector started as a
deployment starts them, on free ports. Installed with the project, so a benchmark needs no test
tools; the connector itself never imports it."""
