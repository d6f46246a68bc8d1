"""Helpers of ``benchmarks/speed.py``: peer environments, data, runs, FLOPs and the report."""
