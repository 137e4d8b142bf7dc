"""Benchmarks (``make bench``): figures printed and appended to docs/benchmarks.md, never asserted in tests."""
