"""Benchmarks (`make bench`): not part of `make test`. See tests/perf/__main__.py."""
