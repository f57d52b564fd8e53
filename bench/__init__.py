"""Benchmarks and load tests (not shipped in an app): `make bench`."""
