"""Log templates: masking, an online Drain-style miner, stable pattern ids.

`drain3` was evaluated as the baseline (`bench/patterns.py` runs both): this package keeps its
algorithm (Drain's fixed-depth tree) and changes what the benchmark showed mattered — masking,
similarity, settled patterns, a merge step with aliases, ids derived from (tenant, service,
template) instead of per-process counters, bounded memory. docs/benchmarks.md has the figures.
"""
