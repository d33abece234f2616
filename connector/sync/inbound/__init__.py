"""The inbound flow: 1C objects become tracker tasks (detect, read, transform, diff, apply)."""
