"""Benchmarks for leadflow (`make bench`); results go to docs/performance.md."""
