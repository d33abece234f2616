"""The pure core of both flows: model, transform, diffs, keys, rounding, time, aggregation and
plan-fact. Nothing here talks to a database, 1C, the tracker or the web."""
