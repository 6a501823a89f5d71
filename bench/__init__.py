"""Benchmarks: each compares against a baseline run in the same process (PRODUCT.md §7)."""
