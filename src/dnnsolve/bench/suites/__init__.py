"""Benchmark suites, one module per family; each module registers its suites on import."""
