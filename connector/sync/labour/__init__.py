"""The labour flow: tracked time becomes labour in 1C (pull, aggregate, diff, deliver, settle)."""
