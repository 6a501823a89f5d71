"""Benchmarks: each compares against a baseline run in the same process, as a ratio with a bar
(BENCHMARKS.md lists the bars and the figures)."""
