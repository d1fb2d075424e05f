"""Benchmarks of the newsroom bot: they print figures and never assert on time.

Run one with `.venv/bin/python -m bench.<name>` or all with `.venv/bin/python -m bench`
(see bench/README.md).
"""
